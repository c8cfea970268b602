using System.Globalization;
using System.Text;
using FastWeights.Kernels.Primitives;

namespace FastWeights.Tests.Kernels.Compilation;

/// <summary>
/// The access-pattern model (docs/gpu.md §3) held to its bounds for every H in {16, 32, 50, 64, 96, 128, 256, 512}:
/// shared memory at most 2-way bank-conflicted; global memory within one sector of the fewest its distinct words can
/// occupy (the one allowed extra is an unaligned start). Every group sweep meets them: the LSTM, HyperLSTM and GRU with their
/// column-major forward copies, the fast-weight RNN with skewed rows on chip, a warp per row in global memory and W's
/// column-major copy, the linear memory with a warp per row. The model flags the layouts each had before.
/// </summary>
public sealed class AccessPatternTests
{
    /// <summary>Shared memory: at most this many distinct words per bank per request.</summary>
    public const int MaxConflict = 2;

    /// <summary>Global memory: at most this many sectors above the fewest.</summary>
    public const int MaxExtraSectors = 1;

    private static bool Within(AccessSite site, AccessCost c) => site.Space == MemorySpace.Shared
        ? c.ConflictDegree <= MaxConflict
        : c.Sectors <= c.FewestSectors + MaxExtraSectors;

    /// <summary>
    /// The HyperLSTM reverse's dz = W_dᵀ dd (12·N_z values per step, each a sum over H) has lanes over m = (block, column):
    /// with N_z = 4 a warp spans 8 blocks, each 4 consecutive floats of W_d and one word of dd, H floats apart. The
    /// layout cannot fix that (lanes over m differ in block); only a lane-over-j reduction would. Its work is 12·N_z·H per
    /// step against 4H² + 8N_h·H for the matrix products (≈ 5 % at H = 128), so it is held to its own stated bound:
    /// one sector per block a warp spans, ⌈32/N_z⌉ + 1.
    /// </summary>
    private static bool IsDzGather(AccessSite site) => site.Name.StartsWith("dz = W_dᵀ dd", StringComparison.Ordinal);

    private static IEnumerable<AccessSite> NewLayouts() =>
        AccessSites.Lstm(new ColumnMajor()).Concat(AccessSites.HyperLstm(new ColumnMajor()))
            .Concat(AccessSites.Gru(new ColumnMajor()))
            .Concat(AccessSites.FastWeightRnn()).Concat(AccessSites.Linear());

    public static IEnumerable<TestCaseData> NewLayoutCases() =>
        from site in NewLayouts()
        from h in AccessPatternModel.HiddenSizes
        select new TestCaseData(site, h).SetName($"{site.Kernel}: {site.Name} @H={h}");

    [TestCaseSource(nameof(NewLayoutCases))]
    public void EveryGroupSweep_MeetsTheBounds(AccessSite site, int h)
    {
        var c = AccessPatternModel.Evaluate(site, h);
        if (IsDzGather(site))
            Assert.That(c.Sectors, Is.LessThanOrEqualTo((AccessPatternModel.WarpSize + AccessSites.Z - 1) / AccessSites.Z + 1), c.ToString());
        else
            Assert.That(Within(site, c), Is.True, $"{c} (bound: ≤ {MaxConflict}-way, ≤ fewest + {MaxExtraSectors} sectors)");
    }

    /// <summary>The layout the LSTM forwards had before (row-major W_h read along rows): 32 sectors where 4 suffice.</summary>
    [Test]
    public void TheModel_FlagsTheOldLstmLayouts()
    {
        var old = AccessSites.Lstm(new RowMajor()).Concat(AccessSites.HyperLstm(new RowMajor()))
            .Where(s => s.Name.Contains("(RowMajor)", StringComparison.Ordinal) && s.Kernel.Contains("Forward", StringComparison.Ordinal)).ToArray();
        Assert.That(old, Has.Length.EqualTo(2 + 5));
        foreach (var site in old)
        {
            var c = AccessPatternModel.Evaluate(site, 128);
            Assert.That(Within(site, c), Is.False, $"{site}: {c}");
        }
        var wh = AccessPatternModel.Evaluate(old[0], 128);
        Assert.That((wh.Sectors, wh.FewestSectors), Is.EqualTo((32, 4)), "a warp's 32 rows 128 floats apart: one sector each");
    }

    /// <summary>The GRU's forward read along rows of the row-major W_h would cost 32 sectors where 4 suffice: why the layer copies it column-major.</summary>
    [Test]
    public void TheModel_FlagsARowMajorGruForward()
    {
        var rowMajor = AccessSites.Gru(new RowMajor()).Where(s => s.Name.Contains("(RowMajor)", StringComparison.Ordinal)
            && s.Kernel.Contains("Forward", StringComparison.Ordinal)).ToArray();
        Assert.That(rowMajor, Has.Length.EqualTo(2));
        foreach (var site in rowMajor)
            Assert.That(Within(site, AccessPatternModel.Evaluate(site, 128)), Is.False, site.ToString());
    }

    /// <summary>
    /// The fast-weight RNN before: A and Ā row reads with stride H were 32-way conflicted on chip at every H that is a
    /// multiple of 32 (8-way at H = 16, 2-way at H = 50) and took 32 sectors per request in global memory, as did z = W h.
    /// A padded stride H|1 would have fixed the on-chip reads but not the global ones; the sweeps now skew the column
    /// order on chip and walk rows a warp at a time in global memory (<see cref="EveryGroupSweep_MeetsTheBounds"/>).
    /// </summary>
    [Test]
    public void TheModel_FlagsTheFastWeightRnnLayoutBefore()
    {
        var before = AccessSites.FastWeightRnnBefore(h => h, "H").ToArray();
        var rowRead = before.First(s => s.Space == MemorySpace.Shared && s.Name.StartsWith("A h:", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            foreach (int h in new[] { 32, 64, 96, 128, 256, 512 })
                Assert.That(AccessPatternModel.Evaluate(rowRead, h).ConflictDegree, Is.EqualTo(32), $"H={h}");
            Assert.That(AccessPatternModel.Evaluate(rowRead, 16).ConflictDegree, Is.EqualTo(8), "16 lanes on banks 0 and 16");
            Assert.That(AccessPatternModel.Evaluate(rowRead, 50).ConflictDegree, Is.EqualTo(2));
            foreach (var site in before.Where(s => s.Space == MemorySpace.Global))
                Assert.That(AccessPatternModel.Evaluate(site, 128), Is.EqualTo(new AccessCost(0, 32, 4)), site.ToString());
            var padded = AccessSites.FastWeightRnnBefore(h => h | 1, "(H|1)").Where(s => s.Space == MemorySpace.Shared);
            foreach (var site in padded)
                foreach (int h in AccessPatternModel.HiddenSizes)
                    Assert.That(AccessPatternModel.Evaluate(site, h).ConflictDegree, Is.EqualTo(1), $"{site} H={h}");
        });
    }

    /// <summary>The skew matters: the same own-row walk in plain column order is 32-way conflicted at H = 128.</summary>
    [Test]
    public void WithoutTheSkew_OwnRowsConflict()
    {
        var plain = new AccessSite("test", "own rows, columns in index order", MemorySpace.Shared, h => h,
            (h, t, l) => t < h && l < h ? (long)t * h + l : null, h => h);
        var skewed = AccessSites.FastWeightRnn().First(s => s.Space == MemorySpace.Shared && s.Name.Contains("skewed", StringComparison.Ordinal)
            && !s.Name.Contains("vector", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(AccessPatternModel.Evaluate(plain, 128).ConflictDegree, Is.EqualTo(32));
            foreach (int h in AccessPatternModel.HiddenSizes.Concat([7, 9, 13, 31, 33, 63, 65, 127]))
                Assert.That(AccessPatternModel.Evaluate(skewed, h).ConflictDegree, Is.EqualTo(1), $"H={h}");
        });
    }

    /// <summary>The linear memory's W, G before: read along rows by lanes over rows, 32 sectors where 4 suffice.</summary>
    [Test]
    public void TheModel_FlagsTheLinearMemoryLayoutBefore()
    {
        Assert.Multiple(() =>
        {
            foreach (var site in AccessSites.LinearBefore())
                Assert.That(AccessPatternModel.Evaluate(site, 128), Is.EqualTo(new AccessCost(0, 32, 4)), site.ToString());
        });
    }

    [Test]
    public void TheModelItself_CountsBanksAndSectors()
    {
        Assert.Multiple(() =>
        {
            Assert.That(AccessPatternModel.ConflictDegree(Enumerable.Range(0, 32).Select(i => (long)i)), Is.EqualTo(1));
            Assert.That(AccessPatternModel.ConflictDegree(Enumerable.Repeat(7L, 32)), Is.EqualTo(1), "one word: broadcast");
            Assert.That(AccessPatternModel.ConflictDegree(Enumerable.Range(0, 32).Select(i => (long)i * 64)), Is.EqualTo(32));
            Assert.That(AccessPatternModel.ConflictDegree(Enumerable.Range(0, 32).Select(i => (long)i * 2)), Is.EqualTo(2));
            Assert.That(AccessPatternModel.Sectors(Enumerable.Range(0, 32).Select(i => (long)i)), Is.EqualTo(4));
            Assert.That(AccessPatternModel.Sectors(Enumerable.Range(3, 32).Select(i => (long)i)), Is.EqualTo(5), "unaligned start");
            Assert.That(AccessPatternModel.Sectors(Enumerable.Range(0, 32).Select(i => (long)i * 8)), Is.EqualTo(32));
            Assert.That(AccessPatternModel.FewestSectors(Enumerable.Range(0, 32).Select(i => (long)i * 8)), Is.EqualTo(4));
        });
    }

    /// <summary>Prints the model's table (docs/gpu.md §3 keeps it): every site, old and new layouts, every H.</summary>
    [Test]
    public void PrintTheTable()
    {
        var s = new StringBuilder();
        string Cell(AccessSite site, int h)
        {
            var c = AccessPatternModel.Evaluate(site, h);
            return site.Space == MemorySpace.Shared
                ? c.ConflictDegree.ToString(CultureInfo.InvariantCulture) + "-way"
                : $"{c.Sectors}/{c.FewestSectors}";
        }
        void Block(string title, IEnumerable<AccessSite> sites)
        {
            s.AppendLine(title);
            s.AppendLine();
            s.AppendLine("| kernel | site | space | " + string.Join(" | ", AccessPatternModel.HiddenSizes.Select(h => $"H={h}")) + " |");
            s.AppendLine("|---|---|---|" + string.Concat(AccessPatternModel.HiddenSizes.Select(_ => "---:|")));
            foreach (var site in sites)
                s.AppendLine($"| {site.Kernel} | {site.Name} | {site.Space} | " + string.Join(" | ", AccessPatternModel.HiddenSizes.Select(h => Cell(site, h))) + " |");
            s.AppendLine();
        }
        Block("Every group sweep as it is now:", NewLayouts());
        Block("Their forward matrix reads before (row-major):",
            AccessSites.Lstm(new RowMajor()).Concat(AccessSites.HyperLstm(new RowMajor()))
                .Where(x => x.Name.Contains("(RowMajor)", StringComparison.Ordinal) && x.Kernel.Contains("Forward", StringComparison.Ordinal)));
        Block("Fast-weight RNN before (one thread per row, stride H):", AccessSites.FastWeightRnnBefore(h => h, "H"));
        Block("Linear memory before (one thread per row):", AccessSites.LinearBefore());
        TestContext.Out.Write(s.ToString());
        Assert.That(s.Length, Is.GreaterThan(0));
    }
}
