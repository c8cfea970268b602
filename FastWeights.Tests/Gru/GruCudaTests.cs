using FastWeights.Kernels.Core;
using FastWeights.Kernels.Gru;
using FastWeights.Tests.Support;
using NUnit.Framework;

namespace FastWeights.Tests.Gru;

/// <summary>
/// The checks of <see cref="GruKernelVsReferenceTests"/> on a real CUDA device, both schedules. Ignored (reported as
/// skipped, never failed) where ILGPU sees no CUDA device. Tolerances are 10× looser than on the CPU accelerator, as for
/// the LSTM: on CUDA tanh, exp and sqrt compile to approximate PTX instructions (~1e-6 relative each, docs/design.md §8).
/// Not yet run on a GPU.
/// </summary>
[TestFixture]
[Category("Gpu")]
public sealed class GruCudaTests
{
    private ComputeDevice? device;

    [OneTimeSetUp]
    public void OpenCuda()
    {
        device = CudaDevice.OpenOrIgnore();
    }

    [OneTimeTearDown]
    public void CloseCuda() => device?.Dispose();

    public static IEnumerable<TestCaseData> Cases()
    {
        var shapes = new (int B, int T, int I, int H)[]
        {
            (2, 5, 3, 8),
            (3, 40, 3, 24),
            (4, 64, 16, 64),
            (2, 32, 8, 130),     // H not a multiple of the warp: idle threads in the last round
            (2, 300, 3, 8),      // long
            (1, 2, 3, 1024),     // above the reverse group sweep's register cap on sm_90 (896): units spread over the group
        };
        foreach (var schedule in new[] { SweepSchedule.Group, SweepSchedule.Thread })
            foreach (var s in shapes)
                yield return new TestCaseData(schedule, s.B, s.T, s.I, s.H).SetName($"Cuda_{schedule}_B{s.B}_T{s.T}_I{s.I}_H{s.H}");
    }

    [TestCaseSource(nameof(Cases))]
    public void ForwardAndGradientsMatchReference(SweepSchedule schedule, int batch, int time, int input, int hidden)
    {
        var c = GruCase.Random(batch, time, input, hidden, seed: hidden + time);
        using var layer = new GruLayer(device!.Accelerator, GruRunner.Options(c, schedule));
        var r = GruRunner.Run(layer, c);
        GruRunner.AssertMatches(r, GruReference.Forward(c), GruReference.Backward(c), forwardTolerance: 1e-4,
            gradientTolerance: time > 100 ? 3e-3 : 1e-3);
    }
}
