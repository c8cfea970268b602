using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Kernels.FastWeightRnn;

/// <summary>
/// The pure checkpoint planner the backward executes (docs/design.md §9): its operations are simulated
/// slot by slot here, so a plan that reads a slot not holding the anchor it claims, writes a persistent
/// slot, uses more slots than given, or visits the intervals out of order fails; and the replayed count
/// is checked against the recompute formula and its closed forms.
/// </summary>
public sealed class CheckpointPlanTests
{
    [Test]
    public void RecomputeCostIsTheOptimumOfItsRecursion()
    {
        // Brute force: D(m, s) = min over the first replay distance a of a + D(m − a, s − 1) + D(a − 1, s), D(m, 1) = m(m+1)/2.
        const int M = 120, S = 6;
        var d = new long[M + 1, S + 1];
        for (int m = 1; m <= M; m++)
        {
            d[m, 1] = (long)m * (m + 1) / 2;
            for (int sc = 2; sc <= S; sc++)
            {
                long best = long.MaxValue;
                for (int a = 1; a <= m; a++)
                    best = Math.Min(best, a + d[m - a, sc - 1] + d[a - 1, sc]);
                d[m, sc] = best;
            }
        }
        Assert.Multiple(() =>
        {
            for (int m = 0; m <= M; m++)
                for (int sc = 1; sc <= S; sc++)
                    Assert.That(CheckpointPlan.RecomputeCost(m, sc), Is.EqualTo(d[m, sc]), $"m={m}, s={sc}");
            // One scratch slot: anchors lo+m, …, lo+1 each replayed from lo: m(m+1)/2, also for large m.
            Assert.That(CheckpointPlan.RecomputeCost(50_000, 1), Is.EqualTo(50_000L * 50_001 / 2));
            // As many slots as anchors: each anchor is replayed to once.
            Assert.That(CheckpointPlan.RecomputeCost(5000, 5000), Is.EqualTo(5000));
            Assert.That(CheckpointPlan.RecomputeCost(5000, 1 << 30), Is.EqualTo(5000));
            Assert.That(CheckpointPlan.RecomputeCost(0, 0), Is.EqualTo(0));
        });
        Assert.Throws<ArgumentOutOfRangeException>(() => CheckpointPlan.RecomputeCost(3, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => CheckpointPlan.RecomputeCost(-1, 2));
    }

    [TestCase(1, 7, 2)]
    [TestCase(7, 7, 2)]
    [TestCase(8, 7, 3)]
    [TestCase(100, 7, 3)]
    [TestCase(100, 7, 4)]
    [TestCase(100, 7, 6)]
    [TestCase(100, 7, 16)]
    [TestCase(100, 7, 17)]
    [TestCase(100, 7, 100)]
    [TestCase(1000, 1, 3)]
    [TestCase(1000, 1, 5)]
    [TestCase(1000, 1, 12)]
    [TestCase(1000, 3, 40)]
    [TestCase(10_000, 7, 9)]
    [TestCase(10_000, 51, 4)]
    [TestCase(10_000, 51, 198)]
    public void PlanIsExecutableWithinItsSlotsAndReplaysWhatTheFormulaSays(int time, int interval, int slots)
    {
        var plan = CheckpointPlan.For(time, interval, slots);
        int n = (time + interval - 1) / interval;
        Assert.That(plan.Anchors, Is.EqualTo(n));
        Assert.That(plan.Slots, Is.LessThanOrEqualTo(slots), "slots used");
        Assert.That(plan.PersistentSlots, Is.EqualTo((n + plan.StoreEvery - 1) / plan.StoreEvery + 1));
        Assert.That(plan.StoreInterval, Is.EqualTo(plan.StoreEvery * interval));

        if (slots >= n + 1)
        {
            // Every K-step copy fits: the layout of the layer without a budget, nothing recomputed.
            Assert.That(plan.StoreEvery, Is.EqualTo(1));
            Assert.That(plan.IsSingleSweep, Is.True);
            Assert.That(plan.Operations, Is.Empty);
            Assert.That(plan.RecomputedSteps, Is.Zero);
            return;
        }

        // Simulate: content[slot] = anchor index held (n for A(T)), −1 for empty.
        var content = Enumerable.Repeat(-1, plan.Slots).ToArray();
        for (int p = 0; p < plan.PersistentSlots - 1; p++) content[p] = p * plan.StoreEvery;
        content[plan.PersistentSlots - 1] = n;
        int nextWindow = n - 1;
        long replayed = 0;
        foreach (var op in plan.Operations)
        {
            Assert.That(content[op.SourceSlot], Is.EqualTo(op.FromAnchor), $"{op}: source slot holds another anchor");
            if (op.Kind == CheckpointOperationKind.Window)
            {
                Assert.That(op.FromAnchor, Is.EqualTo(nextWindow), $"{op}: intervals must be visited from the top");
                nextWindow--;
            }
            else
            {
                Assert.That(op.TargetSlot, Is.GreaterThanOrEqualTo(plan.PersistentSlots), $"{op}: a backward must not overwrite a persistent copy");
                Assert.That(op.ToAnchor, Is.GreaterThan(op.FromAnchor).And.LessThan(n), $"{op}: replays forward to an interval's anchor");
                content[op.TargetSlot] = op.ToAnchor;
                replayed += op.ToAnchor - op.FromAnchor;
            }
        }
        Assert.That(nextWindow, Is.EqualTo(-1), "every interval visited once");

        // The formula: segments of d anchors (the last holds the rest), each costing C(size − 1, s).
        int d = plan.StoreEvery, segments = plan.PersistentSlots - 1;
        long formula = (segments - 1) * CheckpointPlan.RecomputeCost(d - 1, plan.ScratchSlots)
                       + CheckpointPlan.RecomputeCost(n - (segments - 1) * d - 1, plan.ScratchSlots);
        Assert.That(replayed, Is.EqualTo(formula), "replayed intervals in the operations");
        Assert.That(plan.RecomputedIntervals, Is.EqualTo(formula));
        Assert.That(plan.RecomputedSteps, Is.EqualTo(formula * interval));
        TestContext.Out.WriteLine($"n={n} slots={slots}: d={d} P={plan.PersistentSlots} s={plan.ScratchSlots} recomputed {formula} intervals ({(double)formula / n:F2} per interval)");
    }

    [Test]
    public void ThePlanIsTheCheapestSplitAndMoreSlotsNeverCostMore()
    {
        const int time = 2000, interval = 3;
        int n = CheckpointPlan.AnchorCount(time, interval);
        long previous = long.MaxValue;
        for (int slots = 3; slots <= n + 1; slots += slots < 40 ? 1 : 37)
        {
            var plan = CheckpointPlan.For(time, interval, slots);
            // Exhaustive check of the choice of d against the formula.
            for (int d = 2; d <= n; d++)
            {
                int persistent = (n + d - 1) / d + 1, scratch = slots - persistent;
                if (scratch < 1) continue;
                long cost = (persistent - 2) * CheckpointPlan.RecomputeCost(d - 1, scratch)
                            + CheckpointPlan.RecomputeCost(n - (persistent - 2) * d - 1, scratch);
                Assert.That(plan.RecomputedIntervals, Is.LessThanOrEqualTo(cost), $"slots={slots}: d={d} would replay {cost}");
            }
            Assert.That(plan.RecomputedIntervals, Is.LessThanOrEqualTo(previous), $"slots={slots}");
            previous = plan.RecomputedIntervals;
        }
        Assert.That(CheckpointPlan.For(time, interval, n).RecomputedIntervals, Is.LessThanOrEqualTo(previous).And.GreaterThan(0));
        Assert.That(CheckpointPlan.For(time, interval, n + 1).RecomputedIntervals, Is.Zero, "n + 1 slots: nothing recomputed");
    }

    [Test]
    public void LogarithmicSlotsGiveNLogNRecomputation()
    {
        // n = 2^14 intervals: with log₂ n + 2 slots (A(0), A(T) and log₂ n scratch) binary halving would replay
        // (n/2)·log₂ n intervals; the binomial schedule replays no more, against n²/2 with a single scratch slot.
        const int n = 1 << 14;
        var logPlan = CheckpointPlan.For(n, 1, 14 + 2);
        var linearPlan = CheckpointPlan.For(n, 1, 3);
        TestContext.Out.WriteLine($"log slots: {logPlan.RecomputedIntervals}, 3 slots: {linearPlan.RecomputedIntervals}");
        Assert.That(logPlan.RecomputedIntervals, Is.LessThanOrEqualTo((long)n / 2 * 14));
        Assert.That(linearPlan.RecomputedIntervals, Is.EqualTo((long)(n - 1) * n / 2));
    }

    [Test]
    public void TooFewSlotsAreRefusedNamingTheMinimum()
    {
        Assert.That(CheckpointPlan.MinimumSlots(7, 7), Is.EqualTo(2));
        Assert.That(CheckpointPlan.MinimumSlots(8, 7), Is.EqualTo(3));
        Assert.That(CheckpointPlan.For(7, 7, 2).RecomputedSteps, Is.Zero);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CheckpointPlan.For(8, 7, 2))!;
        Assert.That(e.ParamName, Is.EqualTo("slots"));
        Assert.That(e.Message, Does.Contain("at least 3"));
    }
}
