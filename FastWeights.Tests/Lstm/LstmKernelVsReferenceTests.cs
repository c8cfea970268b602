using FastWeights.Kernels.Core;
using FastWeights.Kernels.Lstm;
using NUnit.Framework;

namespace FastWeights.Tests.Lstm;

/// <summary>
/// The float32 LSTM kernels against the float64 reference, both schedules, on the CPU accelerator.
/// Tolerances (relative L2 over each tensor): forward ≤ 1e-5, every gradient ≤ 1e-4.
/// Why these hold: each step is a sum of O(H + I) float32 products (u = 6e-8 each) followed by layer norms and
/// saturating gates, carried through ≤ 30 steps of a contracting recurrence (f &lt; 1), so the forward error is
/// ~1e-6; the backward adds sums of O(B·T) terms for the weight gradients.
/// </summary>
[TestFixture]
public sealed class LstmKernelVsReferenceTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        var shapes = new (int B, int T, int I, int H, bool StateGrads)[]
        {
            (2, 5, 3, 8, true),
            (1, 1, 3, 7, true),      // B = 1, T = 1
            (3, 9, 5, 13, false),    // H not a power of two, no state gradients
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
        var c = LstmCase.Random(batch, time, input, hidden, seed: hidden * 31 + time, withStateGradients: stateGrads);
        using var layer = new LstmLayer(LstmRunner.AcceleratorFor(schedule), LstmRunner.Options(c, schedule));
        Assert.That(layer.Schedule, Is.EqualTo(schedule));
        var r = LstmRunner.Run(layer, c);
        LstmRunner.AssertMatches(r, LstmReference.Forward(c), LstmReference.Backward(c), forwardTolerance: 1e-5, gradientTolerance: 1e-4);
    }

    /// <summary>
    /// The group schedule on the default CPU device, whose groups hold at most 16 threads: with H = 37 each thread
    /// owns two or three units, the strided path the GPU takes only for H above its group limit.
    /// </summary>
    [Test]
    public void GroupScheduleWithSeveralUnitsPerThreadMatchesReference()
    {
        var c = LstmCase.Random(2, 6, 3, 37, seed: 23);
        using var layer = new LstmLayer(FastWeights.Tests.Support.Devices.Cpu.Accelerator, LstmRunner.Options(c, SweepSchedule.Group));
        Assert.That(layer.GroupSize, Is.LessThan(c.Hidden));
        LstmRunner.AssertMatches(LstmRunner.Run(layer, c), LstmReference.Forward(c), LstmReference.Backward(c), 1e-5, 1e-4);
    }

    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Group)]
    public void EmptyInitialStateMeansZeros(SweepSchedule schedule)
    {
        var c = LstmCase.Random(2, 4, 3, 5, seed: 5);
        Array.Clear(c.H0);
        Array.Clear(c.C0);
        using var layer = new LstmLayer(LstmRunner.AcceleratorFor(schedule), LstmRunner.Options(c, schedule));
        var r = LstmRunner.Run(layer, c, zeroState: true);
        LstmRunner.AssertMatches(r, LstmReference.Forward(c), LstmReference.Backward(c), 1e-5, 1e-4);
    }

    /// <summary>The schedules sum in different orders, so they agree to rounding, not bit for bit; each is deterministic.</summary>
    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Group)]
    public void RepeatedRunsAreBitIdentical(SweepSchedule schedule)
    {
        var c = LstmCase.Random(3, 6, 4, 9, seed: 17);
        using var layer = new LstmLayer(LstmRunner.AcceleratorFor(schedule), LstmRunner.Options(c, schedule));
        var first = LstmRunner.Run(layer, c);
        var second = LstmRunner.Run(layer, c);
        foreach (var (name, values) in first.ByName)
            Assert.That(second[name], Is.EqualTo(values), name);
    }
}
