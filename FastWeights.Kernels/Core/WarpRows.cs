namespace FastWeights.Kernels.Core;

/// <summary>
/// How the group schedule spreads row-wise matrix work over a warp (docs/gpu.md §3): thread k still owns the vector
/// elements k, k + G, … (row i belongs to thread i mod G), but the matrix elements of a row are walked by the 32 lanes
/// of the owner's warp together, lane l taking columns l, l + 32, …. A warp request then reads 32 consecutive floats of
/// one row (one 128-byte line in global memory, 32 distinct banks on chip) instead of one float from each of 32 rows
/// H floats apart (32 lines; a 32-way bank conflict when H is a multiple of 32). Column reads (Mᵀv) keep lanes over
/// rows, which is already consecutive. The access-pattern tests evaluate these same functions.
/// </summary>
/// <remarks>
/// Warp w takes the rows k·G + 32w + r (block k, r = 0 … 31): the owner of row i = k·G + 32w + r is thread 32w + r,
/// lane r of warp w, so the row's result lands in the thread that owns it and the code around the matrix operations
/// keeps its one-thread-per-row ownership. This needs G to be whole warps, which <c>KernelLimits.GroupSize</c> gives
/// whenever the device allows a warp; otherwise the schedule falls back to one thread per row.
/// </remarks>
internal static class WarpRows
{
    /// <summary>Row r of block <paramref name="block"/> of warp <paramref name="warp"/>: block·G + warp·warpSize + r.</summary>
    public static int Row(int block, int warp, int r, int warpSize, int groupSize) => block * groupSize + warp * warpSize + r;

    /// <summary>Column of lane <paramref name="lane"/> at chunk <paramref name="chunk"/> of a row: chunk·warpSize + lane.</summary>
    public static int Column(int chunk, int lane, int warpSize) => chunk * warpSize + lane;

    /// <summary>
    /// The sum of <paramref name="partial"/> over the warp's lanes, returned to every lane with the same bits: a butterfly
    /// (lane l adds lane l ⊕ d's value for d = warpSize/2 … 1). Each pair of lanes adds the same two values, and float
    /// addition is commutative, so the pair holds one value after every stage and all lanes hold one value at the end;
    /// the order is fixed, so the result is deterministic.
    /// </summary>
    public static float Sum(float partial, int warpSize)
    {
        for (int d = warpSize / 2; d >= 1; d /= 2)
            partial += Warp.ShuffleXor(partial, d);
        return partial;
    }

    /// <summary>
    /// <see cref="Sum(float, int)"/> of <see cref="RowSums.Rows"/> rows at once: the same butterfly on every field. On a
    /// GPU that is the same shuffles; ILGPU's CPU simulator pays one warp-wide exchange per shuffle call whatever its
    /// size, so batching the rows makes the simulated group sweeps (the tests) 8× cheaper there.
    /// </summary>
    public static RowSums Sum(RowSums partial, int warpSize)
    {
        for (int d = warpSize / 2; d >= 1; d /= 2)
            partial = partial.Plus(Warp.ShuffleXor(partial, d));
        return partial;
    }
}

/// <summary>Per-lane partial sums of up to <see cref="Rows"/> rows, reduced together (<see cref="WarpRows.Sum(RowSums, int)"/>).</summary>
internal struct RowSums
{
    /// <summary>Rows per batch.</summary>
    public const int Rows = 8;

    public float S0, S1, S2, S3, S4, S5, S6, S7;

    /// <summary>Adds <paramref name="value"/> to row <paramref name="q"/>'s partial.</summary>
    public void Add(int q, float value)
    {
        if (q == 0) S0 += value;
        else if (q == 1) S1 += value;
        else if (q == 2) S2 += value;
        else if (q == 3) S3 += value;
        else if (q == 4) S4 += value;
        else if (q == 5) S5 += value;
        else if (q == 6) S6 += value;
        else S7 += value;
    }

    /// <summary>Row <paramref name="q"/>'s sum.</summary>
    public readonly float Get(int q) =>
        q == 0 ? S0 : q == 1 ? S1 : q == 2 ? S2 : q == 3 ? S3 : q == 4 ? S4 : q == 5 ? S5 : q == 6 ? S6 : S7;

    /// <summary>Field by field, this + <paramref name="other"/> (lane l's value first, so both lanes of a pair add the same two values).</summary>
    public readonly RowSums Plus(RowSums other) => new()
    {
        S0 = S0 + other.S0, S1 = S1 + other.S1, S2 = S2 + other.S2, S3 = S3 + other.S3,
        S4 = S4 + other.S4, S5 = S5 + other.S5, S6 = S6 + other.S6, S7 = S7 + other.S7,
    };
}

/// <summary>
/// How the group schedule walks a matrix in shared memory (docs/gpu.md §3): thread k walks its own rows k, k + G, …
/// (no reductions), taking the columns of each 32-column chunk in a skewed order: at step s lane l reads column
/// (σ·l + s) mod 32 with σ = 1 for even n and 2 for odd n. Element (i, j) sits in bank (i·n + j) mod 32; for the lanes of
/// a warp (rows 32w + l + kG, G whole warps) that is l·(n + σ) + const mod 32, and n + σ is odd, so the 32 lanes hit 32
/// different banks for every n. Unskewed (σ = 0) the same loop is 32-way conflicted whenever n is a multiple of 32.
/// Copies and fills between shared and global memory go element by element instead, lanes on consecutive elements
/// (consecutive words on chip, one 128-byte line in global memory), fenced by a barrier before (the rows' owners may
/// just have written them) — the sweeps already put one after.
/// </summary>
internal static class SkewedRows
{
    /// <summary>Banks of shared memory, and so the chunk width of the skew.</summary>
    public const int Banks = 32;

    /// <summary>σ for an n-column matrix: 1 for even n, 2 for odd n, so that n + σ is odd.</summary>
    public static int Skew(int n) => 1 + (n & 1);

    /// <summary>Column of lane <paramref name="lane"/> at step <paramref name="step"/> of chunk <paramref name="chunk"/>
    /// (it may be ≥ n in the last chunk: skipped).</summary>
    public static int Column(int chunk, int lane, int step, int n) => chunk * Banks + ((Skew(n) * lane + step) & (Banks - 1));

    public static void Product(int first, int stride, ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset,
        ArrayView<float> target, long targetOffset, int n, bool accumulate)
    {
        int lane = first & (Banks - 1);
        for (int i = first; i < n; i += stride)
        {
            long row = mOffset + (long)i * n;
            float acc = 0f;
            for (int chunk = 0; chunk * Banks < n; chunk++)
                for (int step = 0; step < Banks; step++)
                {
                    int j = Column(chunk, lane, step, n);
                    if (j < n)
                        acc += m[row + j] * v[vOffset + j];
                }
            target[targetOffset + i] = accumulate ? target[targetOffset + i] + acc : acc;
        }
    }

    /// <summary>The element-wise updates of <see cref="CooperativeRows.Update{TSchedule}"/> over own rows, skewed.</summary>
    public static void Update(int first, int stride, ArrayView<float> m, long mOffset, float alpha, float beta,
        ArrayView<float> u, long uOffset, ArrayView<float> v, long vOffset, float divisor, int n, int op)
    {
        int lane = first & (Banks - 1);
        for (int i = first; i < n; i += stride)
        {
            long row = mOffset + (long)i * n;
            float coefficient = op == CooperativeRows.RankOne || op == CooperativeRows.UndoRankOne ? beta * u[uOffset + i] : 0f;
            for (int chunk = 0; chunk * Banks < n; chunk++)
                for (int step = 0; step < Banks; step++)
                {
                    int j = Column(chunk, lane, step, n);
                    if (j >= n)
                        continue;
                    long e = row + j;
                    if (op == CooperativeRows.Scale) m[e] *= alpha;
                    else if (op == CooperativeRows.RankOne) m[e] = alpha * m[e] + coefficient * v[vOffset + j];
                    else m[e] = (m[e] - coefficient * v[vOffset + j]) / divisor;
                }
        }
    }

    /// <summary>
    /// target ← source (or ← value) over the n×n matrix, element e = first, first + stride, … (lanes on consecutive
    /// elements), after a group barrier. The caller puts a barrier after it before the rows' owners touch the target.
    /// </summary>
    public static void Elements(int first, int stride, ArrayView<float> target, long targetOffset, ArrayView<float> source,
        long sourceOffset, float value, int n, bool copy)
    {
        Group.Barrier();
        long count = (long)n * n;
        for (long e = first; e < count; e += stride)
            target[targetOffset + e] = copy ? source[sourceOffset + e] : value;
    }
}
