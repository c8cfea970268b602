using FastWeights.Tests.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Kernels.Baselines;

/// <summary>
/// Both baselines (per-step launches, attention form) against the float64 reference on a real CUDA device, with the
/// tolerances of the fused layer's CUDA tests (forward 1e-4, gradients 1e-3: approximate tanh/exp/sqrt in PTX).
/// Ignored (reported as skipped, never failed) where ILGPU sees no CUDA device.
/// </summary>
[Category("Gpu")]
public sealed class BaselineCudaTests : CudaFixture
{
    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var kind in new[] { BaselineKind.PerStepLaunch, BaselineKind.AttentionForm })
            foreach (var s in FastWeightRnnCudaTests.Shapes[..3])
                yield return new TestCaseData(kind, new ReferenceConfig(s.B, s.T, s.I, s.H, s.S, s.Decay, 0.5, s.Relu))
                    .SetName($"Cuda_{kind}_B{s.B}_T{s.T}_I{s.I}_H{s.H}_S{s.S}_decay{s.Decay}_{(s.Relu ? "relu" : "tanh")}");
    }

    [TestCaseSource(nameof(Cases))]
    public void ForwardAndGradientsMatchReference(BaselineKind kind, ReferenceConfig cfg)
    {
        var c = ReferenceCase.Random(cfg, seed: cfg.Hidden + cfg.Time, withStateGradients: true);
        var (o, g) = c.Reference();
        var r = BaselineRunner.Run(kind, c, passInitialState: true, accelerator: Cuda);
        LayerRunner.AssertMatches(r, o, g, forwardTolerance: 1e-4, gradientTolerance: 1e-3);
    }
}
