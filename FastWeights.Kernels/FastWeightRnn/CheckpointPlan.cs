namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// Where the forward stores copies of A and how the backward recovers the others within a fixed number
/// of slots (recursive checkpointing, docs/design.md §9). A pure plan: the layer executes
/// <see cref="Operations"/> in order, and the tests check the plan against <see cref="RecomputeCost"/>.
/// </summary>
/// <remarks>
/// <para>Anchors are the steps 0, K, 2K, … (n = ⌈T/K⌉ of them, indices 0 … n−1); the reverse sweep needs
/// A at anchor j exactly to re-anchor the interval [jK, (j+1)K), visiting j = n−1 … 0, and A(T) to start.</para>
/// <para>Slots 0 … P−1 are persistent: the forward writes them (A at every d-th anchor, and A(T) in slot P−1) and
/// the backward only reads them, so a backward may be repeated. Slots P … P+s−1 are scratch for the backward.
/// With d = 1 every anchor is persistent (s = 0): the layout and single reverse launch of the layer without a budget.</para>
/// <para>For d &gt; 1 the anchors of each stored segment [i·d, (i+1)·d) are visited from the top by the binomial
/// schedule of Griewank's revolve: replay from the segment's stored anchor a anchors up into a scratch slot,
/// visit the upper part with one slot fewer, then the lower part with the slot freed, a chosen to minimise
/// the total (<see cref="RecomputeCost"/>). With one scratch slot left the remaining anchors are replayed one
/// by one from the bottom (quadratic).</para>
/// </remarks>
public sealed class CheckpointPlan
{
    private readonly List<CheckpointOperation> operations = new();

    private CheckpointPlan(int time, int interval, int storeEvery, int scratchSlots)
    {
        Time = time;
        Interval = interval;
        Anchors = AnchorCount(time, interval);
        StoreEvery = storeEvery;
        PersistentSlots = PersistentCount(Anchors, storeEvery);
        ScratchSlots = scratchSlots;
        if (storeEvery == 1) return;   // one reverse launch re-anchors on the persistent copies
        for (int segment = PersistentSlots - 2; segment >= 0; segment--)
        {
            int lo = segment * storeEvery, hi = Math.Min(lo + storeEvery, Anchors) - 1;
            Reverse(lo, hi, segment);
        }
    }

    /// <summary>T.</summary>
    public int Time { get; }

    /// <summary>K: steps between anchors, the longest rebuild from an exact copy (from <see cref="CheckpointPolicy"/>).</summary>
    public int Interval { get; }

    /// <summary>n = ⌈T/K⌉: anchors 0, K, …, (n−1)K, one per reverse interval.</summary>
    public int Anchors { get; }

    /// <summary>d: the forward stores every d-th anchor (every d·K steps). 1 when every anchor is stored.</summary>
    public int StoreEvery { get; }

    /// <summary>P = ⌈n/d⌉ + 1: slots the forward writes (A at anchors 0, d, 2d, … and A(T) last).</summary>
    public int PersistentSlots { get; }

    /// <summary>s: slots the backward fills by replay.</summary>
    public int ScratchSlots { get; }

    /// <summary>P + s: copies of A the plan holds at most.</summary>
    public int Slots => PersistentSlots + ScratchSlots;

    /// <summary>Steps between stored copies in the forward: d·K.</summary>
    public int StoreInterval => StoreEvery * Interval;

    /// <summary>Whether every anchor is stored, so the reverse sweep runs as one launch over the whole sequence.</summary>
    public bool IsSingleSweep => StoreEvery == 1;

    /// <summary>What the backward does, in order (empty when <see cref="IsSingleSweep"/>).</summary>
    public IReadOnlyList<CheckpointOperation> Operations => operations;

    /// <summary>Anchor intervals replayed by the backward: Σ over segments of <see cref="RecomputeCost"/>.</summary>
    public long RecomputedIntervals { get; private set; }

    /// <summary>Recurrence steps (writes A ← λA + η h hᵀ per sequence) replayed by the backward: K · <see cref="RecomputedIntervals"/>.</summary>
    public long RecomputedSteps => RecomputedIntervals * Interval;

    /// <summary>n = ⌈T/K⌉.</summary>
    public static int AnchorCount(int time, int interval) => (int)(((long)time + interval - 1) / interval);

    /// <summary>
    /// The fewest slots any plan needs: A(0) and A(T), plus one scratch slot when there is more than one
    /// interval (a copy to replay into). 2 when T ≤ K, else 3.
    /// </summary>
    /// <param name="time">T ≥ 1.</param>
    /// <param name="interval">K ≥ 1.</param>
    public static int MinimumSlots(int time, int interval) => AnchorCount(time, interval) == 1 ? 2 : 3;

    /// <summary>
    /// C(m, s), the fewest anchor intervals replayed to visit m+1 consecutive anchors from the top when the lowest
    /// is held and s ≥ 1 scratch slots are free. It obeys C(0, s) = 0, C(m, 1) = m(m+1)/2 and
    /// C(m, s) = min over 1 ≤ a ≤ m of a + C(m − a, s − 1) + C(a − 1, s), and has the closed form of Griewank's
    /// binomial schedule: C(m, s) = r·(m+1) − binom(s+r, s+1), with r the smallest integer such that
    /// binom(s+r, s) ≥ m+1 (docs/design.md §9.3).
    /// </summary>
    /// <param name="m">Anchors above the held one, ≥ 0.</param>
    /// <param name="scratch">s ≥ 1 (s = 0 only with m = 0).</param>
    /// <exception cref="ArgumentOutOfRangeException">m &lt; 0, or s &lt; 1 while m &gt; 0.</exception>
    public static long RecomputeCost(int m, int scratch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        if (m > 0 && scratch < 1) throw new ArgumentOutOfRangeException(nameof(scratch), scratch, "Visiting more than one anchor needs a scratch slot.");
        return Cost(m, scratch);
    }

    /// <summary>
    /// The plan with the fewest recomputed intervals that holds at most <paramref name="slots"/> copies of A:
    /// d = 1 when slots ≥ n + 1, else the d (and so P and s = slots − P) minimising
    /// Σ_segments C(segment − 1, s).
    /// </summary>
    /// <param name="time">T ≥ 1.</param>
    /// <param name="interval">K ≥ 1.</param>
    /// <param name="slots">Copies of A available, ≥ <see cref="MinimumSlots"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range; the message names the minimum slots.</exception>
    public static CheckpointPlan For(int time, int interval, int slots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(time, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, 1);
        int minimum = MinimumSlots(time, interval);
        if (slots < minimum)
            throw new ArgumentOutOfRangeException(nameof(slots), slots,
                $"T = {time} with K = {interval} needs at least {minimum} copies of A (A(0), A(T) and one to replay into).");
        int n = AnchorCount(time, interval);
        if (slots >= n + 1) return new CheckpointPlan(time, interval, 1, 0);

        int bestD = -1;
        long bestCost = long.MaxValue;
        for (int d = 2; d <= n; d++)
        {
            int persistent = PersistentCount(n, d);
            int scratch = slots - persistent;
            if (scratch < 1) continue;
            int full = persistent - 2;   // segments of d anchors; the last one holds the rest
            long cost = full * Cost(d - 1, scratch) + Cost(n - full * d - 1, scratch);
            if (cost < bestCost)
            {
                bestCost = cost;
                bestD = d;
            }
        }
        // d = n always qualifies: P = 2, s = slots − 2 ≥ 1.
        return new CheckpointPlan(time, interval, bestD, slots - PersistentCount(n, bestD));
    }

    private static int PersistentCount(int anchors, int storeEvery) => (anchors + storeEvery - 1) / storeEvery + 1;

    /// <summary>The closed form of <see cref="RecomputeCost"/>, in 128-bit arithmetic (binomials of up to n² size).</summary>
    private static long Cost(int m, int scratch)
    {
        if (m == 0) return 0;
        int s = Math.Min(scratch, m);   // beyond m slots, C(m, s) = m: each anchor is replayed to once
        Int128 binomial = 1;            // binom(s + r, r) = binom(s + r, s)
        int r = 0;
        while (binomial < m + 1)
        {
            r++;
            binomial = binomial * (s + r) / r;
        }
        Int128 lower = binomial * r / (s + 1);   // binom(s + r, r − 1) = binom(s + r, s + 1)
        return (long)((Int128)r * (m + 1) - lower);
    }

    /// <summary>
    /// The a of the first replay that attains C(m, s) (s ≥ 2): a + C(m − a, s − 1) + C(a − 1, s) is convex in a
    /// (both C are convex, piecewise linear), so a binary search on its forward difference finds the smallest minimiser.
    /// </summary>
    private static int Split(int m, int scratch)
    {
        long F(int a) => a + Cost(m - a, scratch - 1) + Cost(a - 1, scratch);
        int lo = 1, hi = m;
        while (lo < hi)
        {
            int mid = lo + (hi - lo) / 2;
            if (F(mid + 1) < F(mid)) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>
    /// Visits anchors hi, hi−1, …, lo (reverse windows), A(lo) being in slot <paramref name="held"/>, with the
    /// scratch slots P, P+1, … free. An explicit stack, not recursion: with many slots the chain of upper parts
    /// is as deep as the slots are many.
    /// </summary>
    private void Reverse(int lo, int hi, int held)
    {
        // (lo, hi, held, first free scratch slot): the free slots are always a suffix of the scratch slots.
        var pending = new Stack<(int Lo, int Hi, int Held, int Free)>();
        pending.Push((lo, hi, held, PersistentSlots));
        while (pending.Count > 0)
        {
            var (l, h, k, free) = pending.Pop();
            int freeCount = Slots - free;
            if (h == l)
            {
                Window(l, k);
            }
            else if (freeCount == 1)
            {
                for (int j = h; j > l; j--)
                {
                    Replay(l, j, k, free);
                    Window(j, free);
                }
                Window(l, k);
            }
            else
            {
                int mid = l + Split(h - l, freeCount);
                Replay(l, mid, k, free);
                pending.Push((l, mid - 1, k, free));        // second: the lower part, the slot freed again
                pending.Push((mid, h, free, free + 1));     // first: the upper part from the replayed copy
            }
        }
    }

    private void Replay(int from, int to, int source, int target)
    {
        operations.Add(new CheckpointOperation(CheckpointOperationKind.Replay, from, to, source, target));
        RecomputedIntervals += to - from;
    }

    private void Window(int anchor, int slot) =>
        operations.Add(new CheckpointOperation(CheckpointOperationKind.Window, anchor, anchor, slot, slot));
}
