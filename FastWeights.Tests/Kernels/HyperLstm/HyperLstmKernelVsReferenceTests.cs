using FastWeights.Kernels.HyperLstm;

namespace FastWeights.Tests.Kernels.HyperLstm;

/// <summary>
/// The float32 HyperLSTM kernels against the float64 reference, both schedules, on the CPU accelerator.
/// Tolerances (relative L2 per tensor): forward ≤ 1e-5, gradients ≤ 1e-4, argued as for the LSTM: sums of
/// O(H + N_h + N_z) float32 products per step through layer norms and saturating gates, over ≤ 20 steps.
/// </summary>
public sealed class HyperLstmKernelVsReferenceTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        var shapes = new (int B, int T, int I, int H, int N, int Z, bool StateGrads)[]
        {
            (2, 5, 3, 8, 4, 2, true),
            (1, 1, 3, 5, 3, 1, true),       // B = 1, T = 1, N_z = 1
            (3, 7, 5, 6, 9, 3, false),      // N_h > H, no state gradients
            (2, 20, 4, 12, 6, 4, true),     // longer
            (2, 4, 3, 36, 5, 2, true),      // H above the CPU-NVIDIA warp: a group of 64 with idle threads
        };
        foreach (var schedule in new[] { SweepSchedule.Thread, SweepSchedule.Group })
            foreach (var s in shapes)
                yield return new TestCaseData(schedule, s.B, s.T, s.I, s.H, s.N, s.Z, s.StateGrads)
                    .SetName($"{schedule}_B{s.B}_T{s.T}_I{s.I}_H{s.H}_N{s.N}_Z{s.Z}{(s.StateGrads ? "_stateGrads" : "")}");
    }

    [TestCaseSource(nameof(Cases))]
    public void ForwardAndGradientsMatchReference(SweepSchedule schedule, int batch, int time, int input, int hidden, int hyper, int embedding, bool stateGrads)
    {
        var c = HyperLstmCase.Random(batch, time, input, hidden, hyper, embedding, seed: hidden * 31 + time, withStateGradients: stateGrads);
        using var layer = new HyperLstmLayer(HyperLstmRunner.AcceleratorFor(schedule), HyperLstmRunner.Options(c, schedule));
        Assert.That(layer.Schedule, Is.EqualTo(schedule));
        var r = HyperLstmRunner.Run(layer, c);
        HyperLstmRunner.AssertMatches(r, HyperLstmReference.Forward(c), HyperLstmReference.Backward(c), 1e-5, 1e-4);
    }

    /// <summary>
    /// The group schedule on the default CPU device (groups of at most 16): H = 37 and N_h = 20 give every thread two or
    /// three main units and one or two hyper units, and 12·N_z = 36 z rows give it two or three rows.
    /// </summary>
    [Test]
    public void GroupScheduleWithSeveralUnitsPerThreadMatchesReference()
    {
        var c = HyperLstmCase.Random(2, 5, 3, 37, 20, 3, seed: 29);
        using var layer = new HyperLstmLayer(FastWeights.Tests.Support.Devices.Cpu.Accelerator, HyperLstmRunner.Options(c, SweepSchedule.Group));
        Assert.That(layer.GroupSize, Is.LessThan(c.HyperHidden));
        HyperLstmRunner.AssertMatches(HyperLstmRunner.Run(layer, c), HyperLstmReference.Forward(c), HyperLstmReference.Backward(c), 1e-5, 1e-4);
    }

    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Group)]
    public void EmptyInitialStateMeansZeros(SweepSchedule schedule)
    {
        var c = HyperLstmCase.Random(2, 4, 3, 5, 4, 2, seed: 5);
        foreach (var name in new[] { "h0", "c0", "hh0", "hc0" }) Array.Clear(c[name]);
        using var layer = new HyperLstmLayer(HyperLstmRunner.AcceleratorFor(schedule), HyperLstmRunner.Options(c, schedule));
        var r = HyperLstmRunner.Run(layer, c, zeroState: true);
        HyperLstmRunner.AssertMatches(r, HyperLstmReference.Forward(c), HyperLstmReference.Backward(c), 1e-5, 1e-4);
    }

    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Group)]
    public void RepeatedRunsAreBitIdentical(SweepSchedule schedule)
    {
        var c = HyperLstmCase.Random(3, 6, 4, 7, 5, 3, seed: 17);
        using var layer = new HyperLstmLayer(HyperLstmRunner.AcceleratorFor(schedule), HyperLstmRunner.Options(c, schedule));
        var first = HyperLstmRunner.Run(layer, c);
        var second = HyperLstmRunner.Run(layer, c);
        foreach (var (name, values) in first)
            Assert.That(second[name], Is.EqualTo(values), name);
    }
}
