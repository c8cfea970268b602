using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Kernels.FastWeightRnn;

/// <summary>
/// <see cref="FastWeightForm"/>: the Auto rule of <see cref="FormPolicy"/>, that a workspace runs the form it was
/// resolved to and allocates exactly what <see cref="FastWeightRnnLayer.WorkspaceBytes(int,int)"/> says, and that
/// the two forms give the same outputs and gradients through the layer's API. (Each form against the float64
/// reference: <see cref="FastWeightRnnKernelVsReferenceTests"/>; the checks at the boundary for both: <see cref="FastWeightRnnValidationTests"/>.)
/// </summary>
public sealed class FastWeightRnnFormTests
{
    private static readonly double Rho = FormPolicy.CpuCrossoverRatio;

    [Test]
    public void AutoOnCpuThreadPicksAttentionUpToRhoTimesH()
    {
        const int H = 64;
        int limit = (int)Math.Floor(Rho * H);
        Assert.Multiple(() =>
        {
            Assert.That(FormPolicy.Resolve(FastWeightForm.Auto, AcceleratorType.CPU, SweepSchedule.Thread, H, 1), Is.EqualTo(FastWeightForm.Attention));
            Assert.That(FormPolicy.Resolve(FastWeightForm.Auto, AcceleratorType.CPU, SweepSchedule.Thread, H, limit), Is.EqualTo(FastWeightForm.Attention));
            Assert.That(FormPolicy.Resolve(FastWeightForm.Auto, AcceleratorType.CPU, SweepSchedule.Thread, H, limit + 1), Is.EqualTo(FastWeightForm.Matrix));
        });
    }

    [Test]
    public void AutoOnTheHostSchedulePicksAttentionOnlyForLargeHAndShortT()
    {
        int H = FormPolicy.HostAttentionMinimumHidden;
        int limit = (int)Math.Floor(FormPolicy.HostCrossoverRatio * H);
        Assert.Multiple(() =>
        {
            Assert.That(FormPolicy.Resolve(FastWeightForm.Auto, AcceleratorType.CPU, SweepSchedule.Host, H, 1), Is.EqualTo(FastWeightForm.Attention));
            Assert.That(FormPolicy.Resolve(FastWeightForm.Auto, AcceleratorType.CPU, SweepSchedule.Host, H, limit), Is.EqualTo(FastWeightForm.Attention));
            Assert.That(FormPolicy.Resolve(FastWeightForm.Auto, AcceleratorType.CPU, SweepSchedule.Host, H, limit + 1), Is.EqualTo(FastWeightForm.Matrix));
            Assert.That(FormPolicy.Resolve(FastWeightForm.Auto, AcceleratorType.CPU, SweepSchedule.Host, H - 1, 1), Is.EqualTo(FastWeightForm.Matrix));
            Assert.That(FormPolicy.Resolve(FastWeightForm.Auto, AcceleratorType.CPU, SweepSchedule.Host, 50, 11), Is.EqualTo(FastWeightForm.Matrix), "the retrieval layer");
        });
    }

    [Test]
    public void AutoKeepsTheMatrixFormOnGpusAndForTheGroupSchedule()
    {
        Assert.Multiple(() =>
        {
            Assert.That(FormPolicy.Resolve(FastWeightForm.Auto, AcceleratorType.Cuda, SweepSchedule.Group, 256, 2), Is.EqualTo(FastWeightForm.Matrix));
            Assert.That(FormPolicy.Resolve(FastWeightForm.Auto, AcceleratorType.Cuda, SweepSchedule.Thread, 256, 2), Is.EqualTo(FastWeightForm.Matrix));
            Assert.That(FormPolicy.Resolve(FastWeightForm.Auto, AcceleratorType.OpenCL, SweepSchedule.Group, 256, 2), Is.EqualTo(FastWeightForm.Matrix));
            Assert.That(FormPolicy.Resolve(FastWeightForm.Auto, AcceleratorType.CPU, SweepSchedule.Group, 256, 2), Is.EqualTo(FastWeightForm.Matrix));
        });
    }

    [TestCase(FastWeightForm.Matrix)]
    [TestCase(FastWeightForm.Attention)]
    public void AnExplicitFormIsKept(FastWeightForm form)
    {
        Assert.Multiple(() =>
        {
            Assert.That(FormPolicy.Resolve(form, AcceleratorType.CPU, SweepSchedule.Thread, 8, 10_000), Is.EqualTo(form));
            Assert.That(FormPolicy.Resolve(form, AcceleratorType.Cuda, SweepSchedule.Group, 512, 1), Is.EqualTo(form));
        });
    }

    [Test]
    public void ResolveNamesItsBadArguments()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => FormPolicy.Resolve((FastWeightForm)9, AcceleratorType.CPU, SweepSchedule.Thread, 8, 8))!.ParamName, Is.EqualTo("requested"));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => FormPolicy.Resolve(FastWeightForm.Auto, AcceleratorType.CPU, SweepSchedule.Thread, 0, 8))!.ParamName, Is.EqualTo("hidden"));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => FormPolicy.Resolve(FastWeightForm.Auto, AcceleratorType.CPU, SweepSchedule.Thread, 8, 0))!.ParamName, Is.EqualTo("maxTime"));
        });
    }

    /// <summary>A workspace below and above the crossover on the CPU accelerator: its form, and its bytes equal the layer's prediction.</summary>
    [TestCase(FastWeightForm.Auto)]
    [TestCase(FastWeightForm.Matrix)]
    [TestCase(FastWeightForm.Attention)]
    public void WorkspaceRunsTheResolvedFormAndAllocatesWhatWasPredicted(FastWeightForm requested)
    {
        const int H = 8, B = 3;
        var acc = Devices.Cpu.Accelerator;
        using var layer = new FastWeightRnnLayer(acc, new FastWeightRnnOptions { InputSize = 3, HiddenSize = H, Form = requested });
        foreach (int time in new[] { 1, (int)Math.Floor(Rho * H), (int)Math.Floor(Rho * H) + 1, 40 })
        {
            using var ws = layer.CreateWorkspace(B, time);
            var expected = FormPolicy.Resolve(requested, AcceleratorType.CPU, layer.Schedule, H, time);
            Assert.Multiple(() =>
            {
                Assert.That(ws.Form, Is.EqualTo(expected), $"T={time}");
                Assert.That(layer.ResolveForm(time), Is.EqualTo(expected), $"T={time}");
                Assert.That(ws.AllocatedBytes, Is.EqualTo(layer.WorkspaceBytes(B, time)), $"T={time}");
                if (expected == FastWeightForm.Matrix)
                    Assert.That(ws.AllocatedBytes, Is.EqualTo(FastWeightRnnLayer.WorkspaceBytes(B, time, 3, H, 1, 0.95)), $"T={time}");
            });
        }
    }

    /// <summary>
    /// Both forms through the public API with every optional input and output in use (h0, A0, dhT, dAT, dh0, dA0).
    /// Tolerance: each form is within 1e-5 (forward) / 1e-4 (gradients) relative L2 of the float64 reference
    /// (<see cref="FastWeightRnnKernelVsReferenceTests"/>), so they agree to within the sum of the two: 2e-5 / 2e-4.
    /// </summary>
    [TestCase(false)]
    [TestCase(true)]
    public void BothFormsGiveTheSameOutputsAndGradients(bool relu)
    {
        var cfg = new ReferenceConfig(3, 11, 4, 9, 2, 0.9, 0.5, relu);
        var c = ReferenceCase.Random(cfg, seed: 5, withStateGradients: true);
        var matrix = LayerRunner.Run(c, SweepSchedule.Thread, form: FastWeightForm.Matrix);
        var attention = LayerRunner.Run(c, SweepSchedule.Thread, form: FastWeightForm.Attention);
        var expected = Tensors(matrix);
        Assert.Multiple(() =>
        {
            foreach (var (name, actual) in Tensors(attention))
            {
                double tolerance = name is "y" or "hT" or "AT" ? 2e-5 : 2e-4;
                double err = LayerRunner.RelErr(actual, LayerRunner.D(expected[name]));
                TestContext.Out.WriteLine($"{name}: {err:E2}");
                Assert.That(err, Is.LessThanOrEqualTo(tolerance), $"{name}: attention vs matrix relative L2 {err:E2}");
            }
        });
    }

    private static Dictionary<string, float[]> Tensors(FastWeightRnnHostResult r) => new()
    {
        ["y"] = r.Y, ["hT"] = r.HT, ["AT"] = r.AT, ["dx"] = r.DX!, ["dh0"] = r.DH0!, ["dA0"] = r.DA0!,
        ["dW"] = r.DW!, ["dC"] = r.DC!, ["db"] = r.DB!, ["dLnGain"] = r.DLnGain!, ["dLnBias"] = r.DLnBias!,
    };

    /// <summary>A memory budget schedules the matrix form's copies of A: Auto becomes Matrix, and Attention with a budget is refused.</summary>
    [Test]
    public void ABudgetKeepsTheMatrixForm()
    {
        var acc = Devices.Cpu.Accelerator;
        var options = new FastWeightRnnOptions { InputSize = 3, HiddenSize = 8, Decay = 0.5, MaxCheckpointCopies = 3 };
        using var layer = new FastWeightRnnLayer(acc, options);
        using var ws = layer.CreateWorkspace(2, 10); // T = 10 ≤ 2H would be the attention form without the budget
        Assert.Multiple(() =>
        {
            Assert.That(ws.Form, Is.EqualTo(FastWeightForm.Matrix));
            Assert.That(layer.ResolveForm(10), Is.EqualTo(FastWeightForm.Matrix));
            Assert.That(ws.AllocatedBytes, Is.EqualTo(FastWeightRnnLayer.WorkspaceBytes(options, 2, 10)));
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() => (options with { Form = FastWeightForm.Attention }).Validate())!;
            Assert.That(ex.ParamName, Is.EqualTo("Form"));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() =>
                new FastWeightRnnLayer(acc, options with { MaxCheckpointCopies = null, MemoryBudgetBytes = 1 << 20, Form = FastWeightForm.Attention }))!.ParamName,
                Is.EqualTo("Form"));
        });
    }
}
