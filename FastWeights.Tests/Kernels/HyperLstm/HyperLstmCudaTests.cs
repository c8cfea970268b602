using FastWeights.Kernels.HyperLstm;

namespace FastWeights.Tests.Kernels.HyperLstm;

/// <summary>
/// The checks of <see cref="HyperLstmKernelVsReferenceTests"/> on a real CUDA device, both schedules. Ignored (reported
/// as skipped, never failed) where ILGPU sees no CUDA device. Tolerances 10× looser than on the CPU accelerator, for the
/// approximate PTX tanh/exp/sqrt (docs/design.md §8).
/// </summary>
[Category("Gpu")]
public sealed class HyperLstmCudaTests : CudaFixture
{
    public static IEnumerable<TestCaseData> Cases()
    {
        var shapes = new (int B, int T, int I, int H, int N, int Z)[]
        {
            (2, 5, 3, 8, 4, 2),
            (3, 40, 3, 24, 8, 4),
            (2, 32, 8, 130, 16, 4),   // H not a multiple of the warp
        };
        foreach (var schedule in new[] { SweepSchedule.Group, SweepSchedule.Thread })
            foreach (var s in shapes)
                yield return new TestCaseData(schedule, s.B, s.T, s.I, s.H, s.N, s.Z).SetName($"Cuda_{schedule}_B{s.B}_T{s.T}_I{s.I}_H{s.H}_N{s.N}_Z{s.Z}");
    }

    [TestCaseSource(nameof(Cases))]
    public void ForwardAndGradientsMatchReference(SweepSchedule schedule, int batch, int time, int input, int hidden, int hyper, int embedding)
    {
        var c = HyperLstmCase.Random(batch, time, input, hidden, hyper, embedding, seed: hidden + time);
        using var layer = new HyperLstmLayer(Cuda, HyperLstmRunner.Options(c, schedule));
        var r = HyperLstmRunner.Run(layer, c);
        HyperLstmRunner.AssertMatches(r, HyperLstmReference.Forward(c), HyperLstmReference.Backward(c), 1e-4, 1e-3);
    }
}
