namespace FastWeights.Tests.Kernels.Compilation;

/// <summary>Where an access goes.</summary>
public enum MemorySpace
{
    /// <summary>On-chip shared memory: 32 banks of 4-byte words; lanes hitting different words of one bank serialise.</summary>
    Shared,

    /// <summary>Device memory through L1/L2: a warp request costs one transaction per distinct 32-byte sector it touches.</summary>
    Global,
}

/// <summary>
/// One memory access of a group kernel: the float offset lane <c>thread</c> of a group touches at loop position <c>loop</c>
/// for hidden size H (null: the lane has no row there and is idle). <see cref="Loops"/> gives the loop positions to
/// evaluate (all of them are).
/// </summary>
/// <param name="Kernel">The kernel, as the catalog names it.</param>
/// <param name="Name">What the access is, in the kernel's words.</param>
/// <param name="Space">Shared or global memory.</param>
/// <param name="Rows">How many threads (rows, units) the access is spread over, from H: the group covers them.</param>
/// <param name="Address">(H, thread, loop) → float offset, or null for an idle lane.</param>
/// <param name="Loops">H → loop extent (1 for an access outside any loop).</param>
public sealed record AccessSite(string Kernel, string Name, MemorySpace Space, Func<int, int> Rows,
    Func<int, int, int, long?> Address, Func<int, int> Loops)
{
    /// <inheritdoc />
    public override string ToString() => $"{Kernel}: {Name}";
}

/// <summary>What one site costs per warp request at one H (the worst warp and loop position).</summary>
/// <param name="ConflictDegree">Shared: the most distinct words any bank serves in one request (1 = conflict-free); 0 for global.</param>
/// <param name="Sectors">Global: distinct 32-byte sectors touched by one request; 0 for shared.</param>
/// <param name="FewestSectors">Global: the fewest sectors the request's distinct words could occupy, ⌈4·words/32⌉; 0 for shared.</param>
public sealed record AccessCost(int ConflictDegree, int Sectors, int FewestSectors);

/// <summary>
/// The access-pattern model of docs/gpu.md §3: for a site and a hidden size, the bank-conflict degree (shared memory)
/// and 32-byte sectors per warp request (global memory), computed from the addresses each lane of each warp of the
/// group touches. Warps are 32 lanes; the group is the layers' own (<see cref="KernelLimits.GroupSize"/>, device cap 1024),
/// thread t owning rows t, t + G, ….
/// </summary>
internal static class AccessPatternModel
{
    /// <summary>Lanes per warp, banks per SM's shared memory (every NVIDIA GPU since Kepler).</summary>
    public const int WarpSize = 32, Banks = 32;

    /// <summary>Bytes per sector, bytes per float.</summary>
    public const int SectorBytes = 32, FloatBytes = 4;

    /// <summary>The hidden sizes the model is held to.</summary>
    public static readonly int[] HiddenSizes = [16, 32, 50, 64, 96, 128, 256, 512];

    /// <summary>Bank-conflict degree of one request: the most distinct words that fall in one bank (same word = broadcast).</summary>
    public static int ConflictDegree(IEnumerable<long> words) =>
        words.Distinct().GroupBy(w => w % Banks).Select(g => g.Count()).DefaultIfEmpty(0).Max();

    /// <summary>Distinct 32-byte sectors of one request of floats at <paramref name="words"/> (from a sector-aligned base).</summary>
    public static int Sectors(IEnumerable<long> words) =>
        words.Select(w => w * FloatBytes / SectorBytes).Distinct().Count();

    /// <summary>The fewest sectors that many distinct floats can occupy.</summary>
    public static int FewestSectors(IEnumerable<long> words) =>
        (words.Distinct().Count() * FloatBytes + SectorBytes - 1) / SectorBytes;

    /// <summary>The worst request of <paramref name="site"/> at hidden size <paramref name="h"/>.</summary>
    public static AccessCost Evaluate(AccessSite site, int h)
    {
        int rows = site.Rows(h);
        int group = KernelLimits.GroupSize(rows, WarpSize, 1024);
        int loops = site.Loops(h);
        // Every loop position: the skewed and warp-per-row walks are not affine in the loop variable.
        var positions = Enumerable.Range(0, loops);
        int conflict = 0, sectors = 0, fewest = 0, excess = -1;
        for (int warp = 0; warp < group / WarpSize; warp++)
            foreach (int loop in positions)
            {
                // H ≤ 512 here, so the group covers every row: thread t owns row t, one request per warp and position.
                var words = new List<long>(WarpSize);
                for (int row = warp * WarpSize; row < Math.Min(rows, (warp + 1) * WarpSize); row++)
                    if (site.Address(h, row, loop) is long a) words.Add(a);
                if (words.Count == 0) continue;
                if (site.Space == MemorySpace.Shared)
                {
                    conflict = Math.Max(conflict, ConflictDegree(words));
                    continue;
                }
                // The worst request: the most sectors above the fewest, then the most sectors.
                int s = Sectors(words), f = FewestSectors(words);
                if (s - f > excess || (s - f == excess && s > sectors)) { sectors = s; fewest = f; excess = s - f; }
            }
        return new AccessCost(conflict, sectors, fewest);
    }
}
