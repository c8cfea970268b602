using System.Globalization;
using System.Text;
using FastWeights.Kernels.Primitives;
using NUnit.Framework;

namespace FastWeights.Tests.Compilation;

/// <summary>
/// The access-pattern model (docs/gpu.md §3) held to its bounds for every H in {16, 32, 50, 64, 96, 128, 256, 512}:
/// shared memory at most 2-way bank-conflicted; global memory within one sector of the fewest its distinct words can
/// occupy (the one allowed extra is an unaligned start). The LSTM, HyperLSTM and GRU group sweeps meet them with their
/// column-major forward copies; the model flags the layout they had before, and the fast-weight RNN's and linear
/// memory's current layouts.
/// </summary>
[TestFixture]
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
        AccessSites.Lstm(new ColumnMajor()).Concat(AccessSites.HyperLstm(new ColumnMajor())).Concat(AccessSites.Gru(new ColumnMajor()));

    public static IEnumerable<TestCaseData> NewLayoutCases() =>
        from site in NewLayouts()
        from h in AccessPatternModel.HiddenSizes
        select new TestCaseData(site, h).SetName($"{site.Kernel}: {site.Name} @H={h}");

    [TestCaseSource(nameof(NewLayoutCases))]
    public void LstmHyperLstmAndGruGroupSweeps_MeetTheBounds(AccessSite site, int h)
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
    /// The fast-weight RNN today: A and Ā row reads with stride H are 32-way conflicted on chip at every H that is a
    /// multiple of 32 (8-way at H = 16, 2-way at H = 50), 32 sectors per request in global memory; the column reads
    /// are clean. The padded stride H|1 (the odd stride ≥ H) the sweeps need brings every on-chip site to 1-way.
    /// </summary>
    [Test]
    public void TheModel_FlagsTheFastWeightRnnLayout_AndThePaddedStrideFixesIt()
    {
        var current = AccessSites.FastWeightRnn(h => h, "H").ToArray();
        var rowRead = current.First(s => s.Space == MemorySpace.Shared && s.Name.StartsWith("A h:", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            foreach (int h in new[] { 32, 64, 96, 128, 256, 512 })
                Assert.That(AccessPatternModel.Evaluate(rowRead, h).ConflictDegree, Is.EqualTo(32), $"H={h}");
            Assert.That(AccessPatternModel.Evaluate(rowRead, 16).ConflictDegree, Is.EqualTo(8), "16 lanes on banks 0 and 16");
            Assert.That(AccessPatternModel.Evaluate(rowRead, 50).ConflictDegree, Is.EqualTo(2));
            var padded = AccessSites.FastWeightRnn(h => h | 1, "(H|1)").Where(s => s.Space == MemorySpace.Shared);
            foreach (var site in padded)
                foreach (int h in AccessPatternModel.HiddenSizes)
                    Assert.That(AccessPatternModel.Evaluate(site, h).ConflictDegree, Is.EqualTo(1), $"{site} H={h}");
        });
    }

    /// <summary>The linear memory's W, G in global memory, read along rows by lanes over rows: 32 sectors where 4 suffice;
    /// stored column-major they would be read on consecutive addresses.</summary>
    [Test]
    public void TheModel_FlagsTheLinearMemoryLayout_AndColumnMajorFixesIt()
    {
        Assert.Multiple(() =>
        {
            foreach (var site in AccessSites.Linear(columnMajor: false))
                Assert.That(AccessPatternModel.Evaluate(site, 128), Is.EqualTo(new AccessCost(0, 32, 4)), site.ToString());
            foreach (var site in AccessSites.Linear(columnMajor: true))
                foreach (int h in AccessPatternModel.HiddenSizes)
                    Assert.That(Within(site, AccessPatternModel.Evaluate(site, h)), Is.True, $"{site} H={h}");
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
        Block("LSTM, HyperLSTM and GRU group sweeps, new layout (column-major forward copies):", NewLayouts());
        Block("Their forward matrix reads before (row-major):",
            AccessSites.Lstm(new RowMajor()).Concat(AccessSites.HyperLstm(new RowMajor()))
                .Where(x => x.Name.Contains("(RowMajor)", StringComparison.Ordinal) && x.Kernel.Contains("Forward", StringComparison.Ordinal)));
        Block("Fast-weight RNN, current layout (stride H):", AccessSites.FastWeightRnn(h => h, "H"));
        Block("Fast-weight RNN, padded stride H|1 (proposed):", AccessSites.FastWeightRnn(h => h | 1, "(H|1)").Where(x => x.Space == MemorySpace.Shared));
        Block("Linear memory, current (row-major W) and proposed (column-major):", AccessSites.Linear(false).Concat(AccessSites.Linear(true)));
        TestContext.Out.Write(s.ToString());
        Assert.That(s.Length, Is.GreaterThan(0));
    }
}
