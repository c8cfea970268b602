using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Kernels.FastWeightRnn;

/// <summary>
/// The same checks as <see cref="FastWeightRnnKernelVsReferenceTests"/> (both schedules of the matrix form, and the attention form)
/// on a real CUDA device. Ignored (reported as
/// skipped, never failed) where ILGPU sees no CUDA device. Tolerances are 10× looser than on the CPU
/// accelerator: on CUDA tanh, exp and sqrt compile to approximate PTX instructions (~1e-6 relative
/// each, docs/design.md §8), which compound over the steps.
/// </summary>
[Category("Gpu")]
public sealed class FastWeightRnnCudaTests : CudaFixture
{
    /// <summary>The shapes on CUDA; the baselines' CUDA tests take the first three (<c>BaselineCudaTests</c>).</summary>
    internal static readonly (int B, int T, int I, int H, int S, double Decay, bool Relu)[] Shapes =
    [
        (2, 5, 3, 8, 1, 0.95, false),
        (3, 40, 3, 24, 3, 0.9, true),
        (4, 64, 16, 64, 1, 0.95, false),   // A (and Ā) in shared memory
        (2, 32, 8, 130, 2, 0.5, false),    // A in global memory, H not a multiple of the warp
        (2, 1000, 3, 8, 1, 0.9, false),    // long: re-anchoring on the GPU too
    ];

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var (schedule, form) in new[] { (SweepSchedule.Group, FastWeightForm.Matrix), (SweepSchedule.Thread, FastWeightForm.Matrix),
                     (SweepSchedule.Thread, FastWeightForm.Attention) })
            foreach (var s in Shapes)
                yield return new TestCaseData(schedule, form, new ReferenceConfig(s.B, s.T, s.I, s.H, s.S, s.Decay, 0.5, s.Relu))
                    .SetName($"Cuda_{(form == FastWeightForm.Attention ? "Attention" : schedule.ToString())}_B{s.B}_T{s.T}_I{s.I}_H{s.H}_S{s.S}_decay{s.Decay}_{(s.Relu ? "relu" : "tanh")}");
    }

    [TestCaseSource(nameof(Cases))]
    public void ForwardAndGradientsMatchReference(SweepSchedule schedule, FastWeightForm form, ReferenceConfig cfg)
    {
        var c = ReferenceCase.Random(cfg, seed: cfg.Hidden + cfg.Time);
        var (o, g) = c.Reference();
        using var layer = new FastWeightRnnLayer(Cuda, LayerRunner.Options(cfg, schedule, form: form));
        var r = FastWeightRnnHost.Run(layer, LayerRunner.HostInputs(c));
        LayerRunner.AssertMatches(r, o, g, forwardTolerance: 1e-4, gradientTolerance: cfg.Time > 100 ? 3e-3 : 1e-3);
    }

    /// <summary>
    /// Under a memory budget (3 and 8 copies of A for 143 anchors) the gradients keep the reference tolerance of the
    /// long case. On the CPU accelerator they are bit-identical to the unbudgeted run (CheckpointBudgetTests); on CUDA
    /// that depends on the compiler contracting the forward's and the replay kernel's mul+add alike (docs/design.md §9.5),
    /// so the difference is printed, not asserted.
    /// </summary>
    [TestCase(SweepSchedule.Group, 3)]
    [TestCase(SweepSchedule.Group, 8)]
    [TestCase(SweepSchedule.Thread, 8)]
    public void UnderABudgetGradientsMatchReference(SweepSchedule schedule, int copies)
    {
        var cfg = new ReferenceConfig(2, 1000, 3, 8, 1, 0.5, 0.5, false);
        var c = ReferenceCase.Random(cfg, seed: 21);
        var (o, g) = c.Reference();
        using var plain = new FastWeightRnnLayer(Cuda, LayerRunner.Options(cfg, schedule));
        using var budgeted = new FastWeightRnnLayer(Cuda, LayerRunner.Options(cfg, schedule) with { MaxCheckpointCopies = copies });
        var expected = FastWeightRnnHost.Run(plain, LayerRunner.HostInputs(c));
        var r = FastWeightRnnHost.Run(budgeted, LayerRunner.HostInputs(c));
        Assert.That(r.RecomputedSteps, Is.GreaterThan(0));
        foreach (var ((name, a, _), (_, e, _)) in LayerRunner.Pairs(r, o, g).Zip(LayerRunner.Pairs(expected, o, g)))
            TestContext.Out.WriteLine($"{name}: {(a.SequenceEqual(e) ? "bit-identical" : $"differs, relative L2 {LayerRunner.RelErr(a, LayerRunner.D(e)):E2}")} to the unbudgeted run");
        LayerRunner.AssertMatches(r, o, g, forwardTolerance: 1e-4, gradientTolerance: 3e-3);
    }
}
