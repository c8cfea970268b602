using FastWeights.Kernels.LinearFastWeights;

namespace FastWeights.Tests.Kernels.LinearFastWeights;

/// <summary>
/// <see cref="LinearFastWeightKernelVsReferenceTests"/> on a real CUDA device, both schedules, plus a long sequence. Ignored (reported
/// as skipped, never failed) where ILGPU sees no CUDA device; never run on this project's CI machine so far. Tolerances
/// 10× looser than on the CPU accelerator because exp (ELU+1, σ) compiles to approximate PTX instructions (~1e-6
/// relative) and the group schedule sums in another order.
/// </summary>
[Category("Gpu")]
public sealed class LinearFastWeightCudaTests : CudaFixture
{
    public static IEnumerable<TestCaseData> Cases()
    {
        var configs = new[]
        {
            new LinearReferenceConfig(2, 9, 2, 3, 5, FeatureMap.Dpfp1, UpdateRule.Delta, true),
            new LinearReferenceConfig(2, 9, 2, 3, 5, FeatureMap.EluPlusOne, UpdateRule.Sum, true),
            new LinearReferenceConfig(3, 20, 4, 16, 16, FeatureMap.Dpfp3, UpdateRule.Delta, true),   // d' = 96: three warps
            new LinearReferenceConfig(2, 16, 2, 8, 64, FeatureMap.Dpfp2, UpdateRule.Sum, false),     // m > d'
            new LinearReferenceConfig(1, 1000, 2, 4, 8, FeatureMap.Dpfp2, UpdateRule.Delta, true),   // long: the rebuild on the GPU
        };
        foreach (var schedule in new[] { SweepSchedule.Group, SweepSchedule.Thread })
            foreach (var cfg in configs)
                yield return new TestCaseData(schedule, cfg).SetName($"Cuda_{schedule}_{cfg}");
    }

    [TestCaseSource(nameof(Cases))]
    public void ForwardAndGradientsMatchReference(SweepSchedule schedule, LinearReferenceConfig cfg)
    {
        var c = LinearReferenceCase.Random(cfg, seed: cfg.Seed);
        using var layer = new LinearFastWeightLayer(Cuda, cfg.Options(schedule));
        var result = LinearFastWeightHost.Run(layer, LinearRunner.HostInputs(c));
        LinearRunner.AssertMatches(result, LinearFastWeightReference.Forward(c), LinearFastWeightReference.Backward(c), 1e-4, 1e-3);
    }
}
