using FastWeights.Bench.GpuCheck;
using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Bench.GpuCheck;

/// <summary>
/// <c>gpu-check</c> itself, run on the CPU (the NVIDIA-shaped CPU device stands in for CUDA): the
/// comparison, the PASS/FAIL lines and the exit codes. Whether it passes on CUDA is the GPU's question.
/// </summary>
public sealed class GpuCheckSmokeTests
{
    /// <summary>
    /// A device that cannot hold the check's largest shape is refused with the bytes, before any case runs: on the CPU
    /// device the limit is host memory, lowered here to 1 MB through <c>FASTWEIGHTS_HOST_MEMORY_LIMIT</c>.
    /// </summary>
    [Test]
    public void ADeviceTooSmallForTheShapes_IsRefusedWithTheBytes()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Environment.SetEnvironmentVariable(FastWeights.Bench.Cli.ResourceCheck.HostLimitVariable, "1000000");
        int code;
        try { code = GpuCheckCommand.Run("cpu", quick: true, stdout, stderr); }
        finally { Environment.SetEnvironmentVariable(FastWeights.Bench.Cli.ResourceCheck.HostLimitVariable, null); }
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(1));
            Assert.That(stderr.ToString(), Does.StartWith($"gpu-check: error: the check's fast-weight RNN shapes need {GpuCheckCommand.LargestShapeBytes()} bytes"));
            Assert.That(stdout.ToString(), Does.Not.Contain("PASS"));
            Assert.That(GpuCheckCommand.LargestShapeBytes(), Is.GreaterThan(1_000_000));
        });
    }

    [Test]
    public void QuickCheckPassesOnTheCpu()
    {
        var (code, stdout, stderr) = CliRun.Capture((o, e) => GpuCheckCommand.Run("cpu", quick: true, o, e));
        TestContext.Out.WriteLine(stdout);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(0), stderr);
            Assert.That(stdout, Does.Contain("gpu-check: 13 passed, 0 failed"));
            Assert.That(stdout, Does.Contain("PASS cpu-nvidia group matrix B=2 T=5"));
            Assert.That(stdout, Does.Contain("fwd A shared"));
            Assert.That(stdout, Does.Contain("PASS cpu thread attention B=2 T=5"));
            Assert.That(stdout, Does.Contain("PASS cpu-nvidia group linear delta normalised Dpfp1 B=2 T=9"));
            Assert.That(stdout, Does.Contain("PASS cpu-nvidia group linear sum normalised Dpfp2 B=2 T=9"));
            Assert.That(stdout, Does.Contain("PASS cpu-nvidia group lstm-ln B=2 T=6"));
            Assert.That(stdout, Does.Contain("PASS cpu-nvidia group hyperlstm B=2 T=6"));
            Assert.That(stdout, Does.Contain("PASS cpu-nvidia group gru-ln B=2 T=6"));
            Assert.That(stdout, Does.Contain("PASS cpu-nvidia model fw R=50"));
        });
    }

    /// <summary>Runs one family's full case list with the NVIDIA-shaped CPU device as the device under test.</summary>
    private static (int Passed, int Failed, string Output) RunOnCpu(
        Func<FastWeights.Kernels.Core.ComputeDevice, FastWeights.Kernels.Core.ComputeDevice, TextWriter, (int, int)> run)
    {
        using var reference = FastWeights.Kernels.Core.ComputeDevice.Open(FastWeights.Kernels.Core.AcceleratorKind.Cpu);
        using var group = FastWeights.Kernels.Core.ComputeDevice.Open(FastWeights.Kernels.Core.AcceleratorKind.CpuNvidia);
        var stdout = new StringWriter();
        var (passed, failed) = run(group, reference, stdout);
        TestContext.Out.WriteLine(stdout.ToString());
        return (passed, failed, stdout.ToString());
    }

    /// <summary>
    /// Each family's full case list passes on the NVIDIA-shaped CPU device: the linear memory (the long case included),
    /// LSTM-LN and HyperLSTM, GRU-LN, and every retrieval model's training batch. Every parameter's gradient is compared,
    /// so a gradient the check forgot would show as a missing name in <c>names</c>.
    /// </summary>
    [TestCaseSource(nameof(FullCaseLists))]
    public void FullCaseListPassesOnTheCpu(
        Func<FastWeights.Kernels.Core.ComputeDevice, FastWeights.Kernels.Core.ComputeDevice, TextWriter, (int, int)> run, int cases, string[] names)
    {
        var (passed, failed, output) = RunOnCpu(run);
        Assert.That((passed, failed), Is.EqualTo((cases, 0)), output);
        foreach (string name in names)
            Assert.That(output, Does.Contain(name));
    }

    private static IEnumerable<TestCaseData> FullCaseLists()
    {
        TestCaseData List(Func<FastWeights.Kernels.Core.ComputeDevice, FastWeights.Kernels.Core.ComputeDevice, TextWriter, (int, int)> run,
            int cases, string name, params string[] names) => new TestCaseData(run, cases, names).SetName(name);
        yield return List((g, r, o) => LinearGpuCheck.Run(g, r, quick: false, o), LinearGpuCheck.Cases.Length, "LinearCasesPassOnTheCpu");
        yield return List((g, r, o) => LstmGpuCheck.Run(g, r, quick: false, o), LstmGpuCheck.Cases.Length, "LstmCasesPassOnTheCpu",
            "dWD=", "dHyperCellLnBias=", "dhc0=");
        yield return List((g, r, o) => GruGpuCheck.Run(g, r, quick: false, o), GruGpuCheck.Cases.Length, "GruCasesPassOnTheCpu",
            "dRecurrentLnBias=", "dInputLnGain=", "dh0=", "dx=");
        yield return List((g, r, o) => ModelGpuCheck.Run(g, r, quick: false, o), ModelGpuCheck.Kinds.Length, "ModelsPassOnTheCpu");
    }

    [Test]
    public void ModelCompare_FailsOnTheLossOrAnyGradient()
    {
        (string, float[], float[])[] Same() => [("a", [1f], [1f]), ("b", [2f], [2f])];
        Assert.Multiple(() =>
        {
            Assert.That(ModelGpuCheck.Compare(1.0, 1.0, Same()).Ok, Is.True);
            Assert.That(ModelGpuCheck.Compare(1.001, 1.0, Same()).Ok, Is.False, "loss off by 1e-3");
            Assert.That(ModelGpuCheck.Compare(1.0, 1.0, [("a", [1f], [1f]), ("b", [2.1f], [2f])]).Ok, Is.False, "one gradient off by 5e-2");
            Assert.That(ModelGpuCheck.Compare(1.0, 1.0, [("a", [float.NaN], [1f])]).Ok, Is.False, "a NaN gradient");
        });
    }

    [Test]
    public void LstmCompare_AMissingOrWrongTensorFails()
    {
        var e = new Dictionary<string, float[]> { ["y"] = [1f], ["dWH"] = [1f] };
        Assert.Multiple(() =>
        {
            Assert.That(LstmGpuCheck.Compare(new() { ["y"] = [1f], ["dWH"] = [1.0005f] }, e).Ok, Is.True, "5e-4 is inside the gradient tolerance");
            Assert.That(LstmGpuCheck.Compare(new() { ["y"] = [1.001f], ["dWH"] = [1f] }, e).Ok, Is.False, "1e-3 is outside the forward tolerance");
            Assert.That(LstmGpuCheck.Compare(new() { ["y"] = [1f] }, e).Ok, Is.False, "a missing gradient");
        });
    }

    [Test]
    public void LinearCompare_OneTensorOutsideToleranceFails()
    {
        static FastWeights.Kernels.LinearFastWeights.LinearFastWeightHostResult Result(float dq) => new()
        {
            Y = [1f], WT = [1f], DQ = [dq], DK = [1f], DV = [1f], DW0 = [1f],
        };
        Assert.Multiple(() =>
        {
            Assert.That(LinearGpuCheck.Compare(Result(1f), Result(1f)).Ok, Is.True);
            Assert.That(LinearGpuCheck.Compare(Result(1.0005f), Result(1f)).Ok, Is.True, "5e-4 is inside the gradient tolerance");
            Assert.That(LinearGpuCheck.Compare(Result(1.01f), Result(1f)).Ok, Is.False);
        });
    }

    [Test]
    public void RelativeErrorFlagsMismatchesAndNonFiniteValues()
    {
        Assert.That(GpuCheckCommand.RelativeL2([1f, 2f], [1f, 2f]), Is.EqualTo(0.0));
        Assert.That(GpuCheckCommand.RelativeL2([1f, 2f], [1f]), Is.EqualTo(double.PositiveInfinity));
        Assert.That(GpuCheckCommand.RelativeL2([float.NaN, 2f], [1f, 2f]), Is.EqualTo(double.PositiveInfinity));
        Assert.That(GpuCheckCommand.RelativeL2([3f, 4f], [0f, 0f]), Is.GreaterThan(1e29));
    }

    [Test]
    public void OneTensorOutsideToleranceFailsTheLine()
    {
        static FastWeightRnnHostResult Result(float y) => new()
        {
            Y = [y], HT = [1f], AT = [1f], DX = [1f], DH0 = [1f], DA0 = [1f],
            DW = [1f], DC = [1f], DB = [1f], DLnGain = [1f], DLnBias = [1f],
        };
        var shape = GpuCheckCommand.Shapes[0];
        Assert.Multiple(() =>
        {
            Assert.That(GpuCheckCommand.Compare(Result(1f), Result(1f), shape).Ok, Is.True);
            Assert.That(GpuCheckCommand.Compare(Result(1.00005f), Result(1f), shape).Ok, Is.True, "5e-5 is inside the forward tolerance");
            Assert.That(GpuCheckCommand.Compare(Result(1.01f), Result(1f), shape).Ok, Is.False);
        });
    }
}
