using FastWeights.Kernels.LinearFastWeights;
using FastWeights.Tests.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Kernels.LinearFastWeights;

/// <summary>
/// Delta-rule writes that expand W: unnormalised ELU+1 features at d = 4 have |φ(k)|² ≈ 5.5 on average, so σ(β)|φ(k)|² &gt; 2
/// at many steps and W grows by orders of magnitude. Without anchors the rebuild recovered W_{t−1} from a much larger
/// W_t and dk drifted (measured before the anchors, same cases: 2.9e-3 relative at T = 32, 18 at T = 64 while every
/// other tensor stayed within 2e-6). With them every tensor is held to the grid's tolerances: forward 1e-5 and
/// gradients 1e-4 relative L2 (<see cref="Tolerance.RelativeL2"/>); the anchors bound the rebuild's own error to
/// about (3Γ + 1)u ≈ 1.2e-5 of ‖W_t‖₁ (docs/linear-fast-weights.md §4), and what remains is the forward's float32 rounding.
/// Both schedules; the group schedule on the NVIDIA-shaped CPU device (warp 32).
/// </summary>
public sealed class ExpandingWritesTests
{
    private static LinearReferenceCase Expanding(int time, int seed) =>
        LinearReferenceCase.Random(new LinearReferenceConfig(2, time, 1, 4, 5, FeatureMap.EluPlusOne, UpdateRule.Delta, false), seed);

    [TestCase(SweepSchedule.Thread, 32)]
    [TestCase(SweepSchedule.Thread, 64)]
    [TestCase(SweepSchedule.Group, 32)]
    [TestCase(SweepSchedule.Group, 64)]
    public void EluPlusOne_Unnormalised_Delta_GradientsMatchReference(SweepSchedule schedule, int time)
    {
        var c = Expanding(time, seed: 1);
        // The case must really expand: the largest |W| of the float64 forward (6.9e5 at T = 32, 9.7e9 at T = 64).
        double largest = LinearFastWeightReference.LargestMemoryEntry(c);
        TestContext.Out.WriteLine($"largest |W| = {largest:E2}");
        Assert.That(largest, Is.GreaterThanOrEqualTo(1e5), "the writes expand W by at least 1e5");
        var result = LinearRunner.Run(c, schedule);
        TestContext.Out.WriteLine($"anchors needed: {result.AnchorsNeeded}");
        Assert.That(result.AnchorsNeeded, Is.GreaterThan(0), "the forward anchored the rebuild");
        LinearRunner.AssertMatches(result, LinearFastWeightReference.Forward(c), LinearFastWeightReference.Backward(c), 1e-5, 1e-4);
    }

    /// <summary>
    /// Longer growth within the default slots (16 + ⌈T/64⌉ = 19 at T = 160): the float64 forward's |W| reaches 1.8e16
    /// and the rebuild anchors 12 times; the same tolerances hold.
    /// </summary>
    [Test]
    public void GrowthBy1e16_WithinDefaultSlots_MatchesReference()
    {
        var c = LinearReferenceCase.Random(new LinearReferenceConfig(1, 160, 1, 4, 5, FeatureMap.EluPlusOne, UpdateRule.Delta, false), seed: 1);
        double largest = LinearFastWeightReference.LargestMemoryEntry(c);
        Assert.That(largest, Is.GreaterThanOrEqualTo(1e15), "the writes expand W by orders of magnitude");
        var result = LinearRunner.Run(c, SweepSchedule.Thread);
        TestContext.Out.WriteLine($"largest |W| = {largest:E2}, anchors needed: {result.AnchorsNeeded}");
        LinearRunner.AssertMatches(result, LinearFastWeightReference.Forward(c), LinearFastWeightReference.Backward(c), 1e-5, 1e-4);
    }

    /// <summary>
    /// The rule is not specific to the delta rule: sum-rule writes that cancel (each pair of steps writes +1000·v φ(k)ᵀ
    /// and then −1000·v φ(k)ᵀ with the same key) leave W at its small initial value every other step while the
    /// increments undone on the way back are 1e3–1e4 times larger. Such writes need an anchor per pair of steps (31 at
    /// T = 64), more than the default 17 slots: the backward says so, and with MaxAnchors = T − 1 (an anchor possible
    /// at every step, store-all's bound) every tensor matches float64.
    /// </summary>
    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Group)]
    public void CancellingSumRuleWrites_MatchReference(SweepSchedule schedule)
    {
        var cfg = new LinearReferenceConfig(2, 64, 1, 4, 5, FeatureMap.EluPlusOne, UpdateRule.Sum, false);
        var c = LinearReferenceCase.Random(cfg, seed: 11);
        int d = cfg.KeySize, m = cfg.ValueSize;
        for (int b = 0; b < cfg.Batch; b++)
            for (int t = 1; t < cfg.Time; t += 2)
            {
                long odd = (long)b * cfg.Time + t, even = odd - 1; // heads = 1
                for (int i = 0; i < d; i++)
                    c.K[odd * d + i] = c.K[even * d + i];
                for (int i = 0; i < m; i++)
                {
                    c.V[even * m + i] *= 1000;
                    c.V[odd * m + i] = -c.V[even * m + i];
                }
            }
        var ex = Assert.Throws<InvalidOperationException>(() => LinearRunner.Run(c, schedule))!;
        Assert.That(ex.Message, Does.Contain("needs 31 anchors").And.Contain("has 17"));
        using var layer = new LinearFastWeightLayer(LayerRunner.AcceleratorFor(schedule), cfg.Options(schedule) with { MaxAnchors = cfg.Time - 1 });
        var result = LinearFastWeightHost.Run(layer, LinearRunner.HostInputs(c));
        Assert.That(result.AnchorsNeeded, Is.EqualTo(31));
        var errors = LinearRunner.Errors(result, LinearFastWeightReference.Forward(c), LinearFastWeightReference.Backward(c));
        Assert.Multiple(() =>
        {
            foreach (var (name, err) in errors)
            {
                TestContext.Out.WriteLine($"{name}: {err:E2}");
                // WT ≈ W0 (entries ~0.2) is what is left after adding and removing ±3e3-sized increments: the forward's own
                // compensated sums round each of those additions by ~u·3e3, measured 4.0e-4 relative. That is the float32
                // forward (which store-all shares), not the rebuild; the gradients, which the anchors protect, stay ~1e-7.
                double tol = name == "wT" ? 1e-3 : name == "y" ? 1e-5 : 1e-4;
                Assert.That(err, Is.LessThanOrEqualTo(tol), name);
            }
        });
    }

    /// <summary>The anchor decisions come from deterministic group sums: two runs of the group schedule agree bit for bit.</summary>
    [Test]
    public void GroupSchedule_IsDeterministic()
    {
        var c = Expanding(32, seed: 6);
        var a = LinearRunner.Run(c, SweepSchedule.Group);
        var b = LinearRunner.Run(c, SweepSchedule.Group);
        Assert.Multiple(() =>
        {
            Assert.That(a.AnchorsNeeded, Is.EqualTo(b.AnchorsNeeded));
            Assert.That(a.DK, Is.EqualTo(b.DK));
            Assert.That(a.DQ, Is.EqualTo(b.DQ));
            Assert.That(a.DW0, Is.EqualTo(b.DW0));
        });
    }

    /// <summary>
    /// Fewer slots than the forward needs: the backward refuses (naming the count and the option) instead of returning
    /// gradients outside the bound; with exactly as many slots as needed it matches the reference.
    /// </summary>
    [Test]
    public void TooFewAnchorSlots_BackwardThrows_EnoughSlotsMatch()
    {
        var c = Expanding(64, seed: 2);
        int needed = LinearRunner.Run(c, SweepSchedule.Thread, backward: false).AnchorsNeeded;
        Assert.That(needed, Is.GreaterThan(1));
        var options = c.Config.Options(SweepSchedule.Thread);
        using (var few = new LinearFastWeightLayer(Devices.Cpu.Accelerator, options with { MaxAnchors = needed - 1 }))
        {
            var ex = Assert.Throws<InvalidOperationException>(() => LinearFastWeightHost.Run(few, LinearRunner.HostInputs(c)))!;
            Assert.That(ex.Message, Does.Contain($"needs {needed} anchors").And.Contain("MaxAnchors"));
        }
        using var enough = new LinearFastWeightLayer(Devices.Cpu.Accelerator, options with { MaxAnchors = needed });
        var result = LinearFastWeightHost.Run(enough, LinearRunner.HostInputs(c));
        LinearRunner.AssertMatches(result, LinearFastWeightReference.Forward(c), LinearFastWeightReference.Backward(c), 1e-5, 1e-4);
    }

    /// <summary>
    /// A forward that overflows (keys in [1, 3) give |φ(k)|² ≈ 18 and σ(β) = 0.88: W grows about 15× a step and passes
    /// float32's 3.4e38 within T = 64) returns its non-finite y, and the backward throws instead of returning ±∞/NaN gradients.
    /// </summary>
    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Group)]
    public void OverflowingForward_BackwardThrows(SweepSchedule schedule)
    {
        var c = Expanding(64, seed: 3);
        Array.Fill(c.Beta!, 2.0);
        for (int n = 0; n < c.K.Length; n++)
            c.K[n] = 1 + 2 * Math.Abs(c.K[n]);
        var forward = LinearRunner.Run(c, schedule, backward: false);
        Assert.That(forward.Y.Any(v => !float.IsFinite(v)), Is.True, "the forward overflowed");
        var ex = Assert.Throws<InvalidOperationException>(() => LinearRunner.Run(c, schedule))!;
        Assert.That(ex.Message, Does.Contain("overflowed"));
    }
}
