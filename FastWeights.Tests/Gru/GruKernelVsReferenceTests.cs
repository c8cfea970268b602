using FastWeights.Kernels.Core;
using FastWeights.Kernels.Gru;
using FastWeights.Tests.Reference;
using NUnit.Framework;

namespace FastWeights.Tests.Gru;

/// <summary>
/// The float32 GRU-LN kernels against the float64 reference, both schedules (the group schedule on the NVIDIA-shaped
/// CPU device), on the CPU accelerator. Tolerances (relative L2 over each tensor): forward ≤ 1e-5, every gradient ≤ 1e-4.
/// Why these hold (as for the LSTM): each step is a sum of O(H + I) float32 products (u = 6e-8 each) followed by
/// layer norms and saturating gates, carried through ≤ 30 steps of a contracting recurrence (u ∈ (0,1)), so the forward
/// error is ~1e-6; the backward adds sums of O(B·T) terms for the weight gradients.
/// </summary>
[TestFixture]
public sealed class GruKernelVsReferenceTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        var shapes = new (int B, int T, int I, int H, bool StateGrads)[]
        {
            (2, 5, 3, 8, true),
            (1, 1, 3, 7, true),      // B = 1, T = 1
            (3, 9, 5, 13, false),    // H not a power of two, no state gradient
            (2, 30, 4, 16, true),    // longer
            (2, 7, 11, 6, true),     // I > H
            (2, 4, 3, 40, true),     // H above the CPU-NVIDIA warp (32): a group of 64 with 24 idle threads
        };
        foreach (var schedule in new[] { SweepSchedule.Thread, SweepSchedule.Group })
            foreach (var s in shapes)
                yield return new TestCaseData(schedule, s.B, s.T, s.I, s.H, s.StateGrads)
                    .SetName($"{schedule}_B{s.B}_T{s.T}_I{s.I}_H{s.H}{(s.StateGrads ? "_stateGrads" : "")}");
    }

    [TestCaseSource(nameof(Cases))]
    public void ForwardAndGradientsMatchReference(SweepSchedule schedule, int batch, int time, int input, int hidden, bool stateGrads)
    {
        var c = GruCase.Random(batch, time, input, hidden, seed: hidden * 31 + time, withStateGradients: stateGrads);
        using var layer = new GruLayer(GruRunner.AcceleratorFor(schedule), GruRunner.Options(c, schedule));
        Assert.That(layer.Schedule, Is.EqualTo(schedule));
        var r = GruRunner.Run(layer, c);
        GruRunner.AssertMatches(r, GruReference.Forward(c), GruReference.Backward(c), forwardTolerance: 1e-5, gradientTolerance: 1e-4);
    }

    /// <summary>
    /// The kernels' gradients straight against central differences of the float64 loss (not through the reference's
    /// backward): every element of x, h0, W_h, W_x and the four layer-norm vectors, both schedules. Tolerance 1e-4
    /// relative L2: the central differences are exact to ~1e-9 (<see cref="GruReferenceGradientTests"/>), so what is
    /// left is the kernels' float32 error, as in <see cref="ForwardAndGradientsMatchReference"/>.
    /// </summary>
    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Group)]
    public void GradientsMatchCentralDifferences(SweepSchedule schedule)
    {
        var c = GruCase.Random(2, 4, 3, 6, seed: 77);
        using var layer = new GruLayer(GruRunner.AcceleratorFor(schedule), GruRunner.Options(c, schedule));
        var r = GruRunner.Run(layer, c);
        const double step = 1e-6;
        Assert.Multiple(() =>
        {
            foreach (var (name, values) in c.Differentiable())
            {
                var numeric = new double[values.Length];
                for (int k = 0; k < values.Length; k++)
                {
                    double keep = values[k];
                    values[k] = keep + step;
                    double plus = GruReference.Loss(c);
                    values[k] = keep - step;
                    double minus = GruReference.Loss(c);
                    values[k] = keep;
                    numeric[k] = (plus - minus) / (2 * step);
                }
                double err = Tolerance.RelativeL2(Array.ConvertAll(r[name], v => (double)v), numeric);
                TestContext.Out.WriteLine($"{name}: {err:E2}");
                Assert.That(err, Is.LessThanOrEqualTo(1e-4), $"{name}: relative L2 error {err:E2}");
                Assert.That(numeric.Sum(v => v * v), Is.GreaterThan(1e-12), $"{name}: finite-difference gradient is ~0");
            }
        });
    }

    /// <summary>
    /// The group schedule on the default CPU device, whose groups hold at most 16 threads: with H = 37 each thread
    /// owns two or three units, the strided path the GPU takes only for H above its group limit.
    /// </summary>
    [Test]
    public void GroupScheduleWithSeveralUnitsPerThreadMatchesReference()
    {
        var c = GruCase.Random(2, 6, 3, 37, seed: 23);
        using var layer = new GruLayer(FastWeights.Tests.Support.Devices.Cpu.Accelerator, GruRunner.Options(c, SweepSchedule.Group));
        Assert.That(layer.GroupSize, Is.LessThan(c.Hidden));
        GruRunner.AssertMatches(GruRunner.Run(layer, c), GruReference.Forward(c), GruReference.Backward(c), 1e-5, 1e-4);
    }

    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Group)]
    public void EmptyInitialStateMeansZeros(SweepSchedule schedule)
    {
        var c = GruCase.Random(2, 4, 3, 5, seed: 5);
        Array.Clear(c.H0);
        using var layer = new GruLayer(GruRunner.AcceleratorFor(schedule), GruRunner.Options(c, schedule));
        var r = GruRunner.Run(layer, c, zeroState: true);
        GruRunner.AssertMatches(r, GruReference.Forward(c), GruReference.Backward(c), 1e-5, 1e-4);
    }

    /// <summary>The schedules sum in different orders, so they agree to rounding, not bit for bit; each is deterministic.</summary>
    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Group)]
    public void RepeatedRunsAreBitIdentical(SweepSchedule schedule)
    {
        var c = GruCase.Random(3, 6, 4, 9, seed: 17);
        using var layer = new GruLayer(GruRunner.AcceleratorFor(schedule), GruRunner.Options(c, schedule));
        var first = GruRunner.Run(layer, c);
        var second = GruRunner.Run(layer, c);
        foreach (var (name, values) in first.ByName)
            Assert.That(second[name], Is.EqualTo(values), name);
    }
}
