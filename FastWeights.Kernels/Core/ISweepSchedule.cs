namespace FastWeights.Kernels.Core;

/// <summary>
/// The part of a sweep that differs between schedules: which rows this thread owns
/// (rows First, First+Stride, …), how a per-thread partial sum becomes the sequence's sum, and
/// what separates two phases, and the matrix operations of a step over the rows it owns. Kernels are generic over
/// a struct implementing this, so ILGPU (or the .NET JIT, for <c>HostSchedule</c>) specialises each schedule at
/// compile time and the math is written once.
/// </summary>
internal interface ISweepSchedule
{
    /// <summary>First row owned by this thread.</summary>
    int First { get; }

    /// <summary>Distance between two rows owned by this thread.</summary>
    int Stride { get; }

    /// <summary>Makes every write before it visible to every thread of the sequence after it.</summary>
    void Barrier();

    /// <summary>
    /// The sum of <paramref name="partial"/> over the sequence's threads, returned to all of them,
    /// summed in a fixed order (deterministic). <paramref name="slot"/> alternates 0/1 between
    /// consecutive calls so one barrier per reduction suffices (docs/design.md §6).
    /// </summary>
    float Sum(float partial, int slot);

    /// <summary>
    /// The product with a transposed matrix, for the rows this thread owns: target[targetOffset + i] =
    /// Σ_j m[mOffset + j·n + i]·v[vOffset + j] for every own i &lt; n (m is n×n, row-major). Writes own rows only,
    /// reads v whole: the caller puts a barrier between the writes of v and this.
    /// </summary>
    void TransposedProduct(ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset,
        ArrayView<float> target, long targetOffset, int n);

    /// <summary>
    /// The product with the matrix, for the rows this thread owns: target[targetOffset + i] = Σ_j m[mOffset + i·n + j]·v[vOffset + j]
    /// for every own i &lt; n. Writes own rows only, reads v whole.
    /// </summary>
    void Product(ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset, ArrayView<float> target, long targetOffset, int n);

    /// <summary>Like <see cref="Product"/>, added: target[targetOffset + i] += Σ_j m[mOffset + i·n + j]·v[vOffset + j] for own i.</summary>
    void ProductAdd(ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset, ArrayView<float> target, long targetOffset, int n);

    /// <summary>Own rows of the n×n matrix m: every element times alpha.</summary>
    void ScaleRows(ArrayView<float> m, long mOffset, float alpha, int n);

    /// <summary>Own rows of the n×n matrix target ← the same rows of source.</summary>
    void CopyRows(ArrayView<float> target, long targetOffset, ArrayView<float> source, long sourceOffset, int n);

    /// <summary>Own rows of the n×n matrix m ← value.</summary>
    void FillRows(ArrayView<float> m, long mOffset, float value, int n);

    /// <summary>Own rows i of the n×n matrix m: m_i ← alpha·m_i + (beta·u[uOffset + i])·v (a rank-one update, two roundings per element).</summary>
    void RankOneUpdate(ArrayView<float> m, long mOffset, float alpha, float beta, ArrayView<float> u, long uOffset,
        ArrayView<float> v, long vOffset, int n);

    /// <summary>Own rows i of the n×n matrix m: m_i ← (m_i − (beta·u[uOffset + i])·v) / divisor (undoes a rank-one update).</summary>
    void UndoRankOneUpdate(ArrayView<float> m, long mOffset, float beta, ArrayView<float> u, long uOffset,
        ArrayView<float> v, long vOffset, float divisor, int n);

    /// <summary>
    /// Row-cooperative loops (<see cref="WarpRows"/>), for sweeps that write their row-wise work out: this thread takes
    /// part in rows block + r for block = RowBlockStart, RowBlockStart + RowBlockStride, … and r &lt; RowBlockSize; in
    /// each it takes the columns Lane, Lane + Lanes, …, and row block + r's owner is the thread with Lane = r.
    /// One thread per row: 0/1/1 (or First/Stride/1), Lane 0, Lanes 1.
    /// </summary>
    int RowBlockStart { get; }

    /// <summary>Distance between two row blocks of this thread (see <see cref="RowBlockStart"/>).</summary>
    int RowBlockStride { get; }

    /// <summary>Rows per block (see <see cref="RowBlockStart"/>).</summary>
    int RowBlockSize { get; }

    /// <summary>This thread's lane among the threads that share a row (see <see cref="RowBlockStart"/>).</summary>
    int Lane { get; }

    /// <summary>How many threads share a row (see <see cref="RowBlockStart"/>).</summary>
    int Lanes { get; }

    /// <summary>The sum of <paramref name="partial"/> over the lanes sharing a row, the same bits in each, in a fixed order.</summary>
    float LaneSum(float partial);

    /// <summary><see cref="LaneSum(float)"/> of a batch of rows at once.</summary>
    RowSums LaneSum(RowSums partial);

    /// <summary>Makes every write of the lanes sharing a row visible to all of them (a warp barrier; nothing for one lane).</summary>
    void LaneBarrier();
}

/// <summary>
/// The row-wise matrix operations of <see cref="ISweepSchedule"/> for a thread that owns rows first, first + stride, …,
/// one <see cref="IVectorMath"/> call per own row.
/// </summary>
internal static class OwnRows
{
    public static void Product<TMath>(TMath math, int first, int stride, ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset,
        ArrayView<float> target, long targetOffset, int n) where TMath : struct, IVectorMath
    {
        for (int i = first; i < n; i += stride)
            target[targetOffset + i] = math.Dot(m, mOffset + (long)i * n, v, vOffset, n);
    }

    public static void ProductAdd<TMath>(TMath math, int first, int stride, ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset,
        ArrayView<float> target, long targetOffset, int n) where TMath : struct, IVectorMath
    {
        for (int i = first; i < n; i += stride)
            target[targetOffset + i] += math.Dot(m, mOffset + (long)i * n, v, vOffset, n);
    }

    public static void ScaleRows<TMath>(TMath math, int first, int stride, ArrayView<float> m, long mOffset, float alpha, int n)
        where TMath : struct, IVectorMath
    {
        for (int i = first; i < n; i += stride)
            math.Scale(m, mOffset + (long)i * n, alpha, n);
    }

    public static void CopyRows<TMath>(TMath math, int first, int stride, ArrayView<float> target, long targetOffset,
        ArrayView<float> source, long sourceOffset, int n) where TMath : struct, IVectorMath
    {
        for (int i = first; i < n; i += stride)
            math.Copy(target, targetOffset + (long)i * n, source, sourceOffset + (long)i * n, n);
    }

    public static void FillRows<TMath>(TMath math, int first, int stride, ArrayView<float> m, long mOffset, float value, int n)
        where TMath : struct, IVectorMath
    {
        for (int i = first; i < n; i += stride)
            math.Fill(m, mOffset + (long)i * n, value, n);
    }

    public static void RankOneUpdate<TMath>(TMath math, int first, int stride, ArrayView<float> m, long mOffset, float alpha, float beta,
        ArrayView<float> u, long uOffset, ArrayView<float> v, long vOffset, int n) where TMath : struct, IVectorMath
    {
        for (int i = first; i < n; i += stride)
            math.ScaleAdd(m, mOffset + (long)i * n, alpha, beta * u[uOffset + i], v, vOffset, n);
    }

    public static void UndoRankOneUpdate<TMath>(TMath math, int first, int stride, ArrayView<float> m, long mOffset, float beta,
        ArrayView<float> u, long uOffset, ArrayView<float> v, long vOffset, float divisor, int n) where TMath : struct, IVectorMath
    {
        for (int i = first; i < n; i += stride)
            math.SubtractScaledDivide(m, mOffset + (long)i * n, beta * u[uOffset + i], v, vOffset, divisor, n);
    }
}

/// <summary>
/// <see cref="ISweepSchedule.TransposedProduct"/> for a thread that owns rows first, first + stride, …: a column
/// dot product per own row, summed over j in index order.
/// </summary>
internal static class ColumnProducts
{
    public static void Own(int first, int stride, ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset,
        ArrayView<float> target, long targetOffset, int n)
    {
        for (int i = first; i < n; i += stride)
        {
            float acc = 0f;
            for (int j = 0; j < n; j++)
                acc += m[mOffset + (long)j * n + i] * v[vOffset + j];
            target[targetOffset + i] = acc;
        }
    }
}

/// <summary>One thread per sequence: it owns every row, sums are already complete, no barriers.</summary>
internal readonly struct ThreadSchedule : ISweepSchedule
{
    public int First => 0;
    public int Stride => 1;
    public void Barrier() { }
    public float Sum(float partial, int slot) => partial;
    public int RowBlockStart => 0;
    public int RowBlockStride => 1;
    public int RowBlockSize => 1;
    public int Lane => 0;
    public int Lanes => 1;
    public float LaneSum(float partial) => partial;
    public RowSums LaneSum(RowSums partial) => partial;
    public void LaneBarrier() { }

    public void TransposedProduct(ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset,
        ArrayView<float> target, long targetOffset, int n) =>
        ColumnProducts.Own(0, 1, m, mOffset, v, vOffset, target, targetOffset, n);

    public void Product(ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset, ArrayView<float> target, long targetOffset, int n) =>
        OwnRows.Product(default(ScalarVectorMath), 0, 1, m, mOffset, v, vOffset, target, targetOffset, n);
    public void ProductAdd(ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset, ArrayView<float> target, long targetOffset, int n) =>
        OwnRows.ProductAdd(default(ScalarVectorMath), 0, 1, m, mOffset, v, vOffset, target, targetOffset, n);
    public void ScaleRows(ArrayView<float> m, long mOffset, float alpha, int n) =>
        OwnRows.ScaleRows(default(ScalarVectorMath), 0, 1, m, mOffset, alpha, n);
    public void CopyRows(ArrayView<float> target, long targetOffset, ArrayView<float> source, long sourceOffset, int n) =>
        OwnRows.CopyRows(default(ScalarVectorMath), 0, 1, target, targetOffset, source, sourceOffset, n);
    public void FillRows(ArrayView<float> m, long mOffset, float value, int n) =>
        OwnRows.FillRows(default(ScalarVectorMath), 0, 1, m, mOffset, value, n);
    public void RankOneUpdate(ArrayView<float> m, long mOffset, float alpha, float beta, ArrayView<float> u, long uOffset,
        ArrayView<float> v, long vOffset, int n) =>
        OwnRows.RankOneUpdate(default(ScalarVectorMath), 0, 1, m, mOffset, alpha, beta, u, uOffset, v, vOffset, n);
    public void UndoRankOneUpdate(ArrayView<float> m, long mOffset, float beta, ArrayView<float> u, long uOffset,
        ArrayView<float> v, long vOffset, float divisor, int n) =>
        OwnRows.UndoRankOneUpdate(default(ScalarVectorMath), 0, 1, m, mOffset, beta, u, uOffset, v, vOffset, divisor, n);

}

/// <summary>
/// One group per sequence. Thread k owns the vector elements (and rows) k, k+G, k+2G, …. How the matrix operations walk
/// a matrix depends on where it lives (docs/gpu.md §3):
/// <list type="bullet">
/// <item>in shared memory (<c>matricesInGlobal</c> false): each thread walks its own rows, in the skewed column order
/// of <see cref="SkewedRows"/>, so the 32 lanes of a warp hit 32 different banks for every H; copies and fills go
/// element by element, lanes on consecutive elements, between two group barriers;</item>
/// <item>in global memory (<c>matricesInGlobal</c> true): the owner's whole warp walks each row, lanes over columns
/// (<see cref="WarpRows"/>), so a warp request is 32 consecutive floats; products end in a warp sum.</item>
/// </list>
/// Column reads (<see cref="TransposedProduct"/>) keep lanes over rows, consecutive in both. In either mode element
/// (i, j) is always touched by the same thread in the row-wise operations, so only column reads (and copies, which
/// fence themselves) cross threads, and the sweeps' barriers stay where they were. Sums: each thread writes its partial
/// to a shared slot, one barrier, then every thread adds the G partials in index order, so all threads hold the
/// bit-identical total. Two slots alternate, which makes a second barrier unnecessary: a thread can only overwrite
/// slot s again after the barrier of the next reduction, which every thread reaches only after it finished reading slot s.
/// </summary>
internal readonly struct GroupSchedule : ISweepSchedule
{
    private readonly ArrayView<float> partials; // [2, G] in shared memory
    private readonly int thread;
    private readonly int groupSize;
    private readonly int lanes;                 // threads per row: the warp size in global mode (whole warps), else 1
    private readonly int lane;
    private readonly int blockStart;

    /// <param name="partials">[2, G] reduction slots in shared memory.</param>
    /// <param name="thread">This thread's index in the group.</param>
    /// <param name="groupSize">Threads in the group, G.</param>
    /// <param name="matricesInGlobal">Whether the matrices the operations walk live in global memory (warp per row)
    /// rather than shared memory (thread per row, skewed).</param>
    public GroupSchedule(ArrayView<float> partials, int thread, int groupSize, bool matricesInGlobal)
    {
        this.partials = partials;
        this.thread = thread;
        this.groupSize = groupSize;
        int warpSize = Warp.WarpSize;
        lanes = matricesInGlobal && warpSize > 1 && groupSize % warpSize == 0 ? warpSize : 1;
        lane = lanes > 1 ? thread % lanes : 0;
        blockStart = lanes > 1 ? thread - lane : thread;
    }

    public int First => thread;
    public int Stride => groupSize;
    public void Barrier() => Group.Barrier();
    public int RowBlockStart => blockStart;
    public int RowBlockStride => groupSize;
    public int RowBlockSize => lanes;
    public int Lane => lane;
    public int Lanes => lanes;
    public float LaneSum(float partial) => lanes > 1 ? WarpRows.Sum(partial, lanes) : partial;
    public RowSums LaneSum(RowSums partial) => lanes > 1 ? WarpRows.Sum(partial, lanes) : partial;

    public void LaneBarrier()
    {
        if (lanes > 1)
            Warp.Barrier();
    }

    public float Sum(float partial, int slot)
    {
        int offset = slot * groupSize;
        partials[offset + thread] = partial;
        Group.Barrier();
        float total = 0f;
        for (int k = 0; k < groupSize; k++)
            total += partials[offset + k];
        return total;
    }

    private bool Skewed => lanes == 1;

    public void TransposedProduct(ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset,
        ArrayView<float> target, long targetOffset, int n) =>
        ColumnProducts.Own(thread, groupSize, m, mOffset, v, vOffset, target, targetOffset, n);

    public void Product(ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset, ArrayView<float> target, long targetOffset, int n)
    {
        if (Skewed) SkewedRows.Product(thread, groupSize, m, mOffset, v, vOffset, target, targetOffset, n, accumulate: false);
        else CooperativeRows.Product(this, m, mOffset, v, vOffset, target, targetOffset, n, accumulate: false);
    }

    public void ProductAdd(ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset, ArrayView<float> target, long targetOffset, int n)
    {
        if (Skewed) SkewedRows.Product(thread, groupSize, m, mOffset, v, vOffset, target, targetOffset, n, accumulate: true);
        else CooperativeRows.Product(this, m, mOffset, v, vOffset, target, targetOffset, n, accumulate: true);
    }

    public void ScaleRows(ArrayView<float> m, long mOffset, float alpha, int n)
    {
        if (Skewed) SkewedRows.Update(thread, groupSize, m, mOffset, alpha, 0f, m, 0, m, 0, 1f, n, CooperativeRows.Scale);
        else CooperativeRows.Update(this, m, mOffset, alpha, 0f, m, 0, m, 0, 1f, n, CooperativeRows.Scale);
    }

    public void CopyRows(ArrayView<float> target, long targetOffset, ArrayView<float> source, long sourceOffset, int n)
    {
        if (Skewed) SkewedRows.Elements(thread, groupSize, target, targetOffset, source, sourceOffset, 0f, n, copy: true);
        else CooperativeRows.Update(this, target, targetOffset, 0f, 0f, source, sourceOffset, source, sourceOffset, 1f, n, CooperativeRows.Copy);
    }

    public void FillRows(ArrayView<float> m, long mOffset, float value, int n)
    {
        if (Skewed) SkewedRows.Elements(thread, groupSize, m, mOffset, m, 0, value, n, copy: false);
        else CooperativeRows.Update(this, m, mOffset, value, 0f, m, 0, m, 0, 1f, n, CooperativeRows.Fill);
    }

    public void RankOneUpdate(ArrayView<float> m, long mOffset, float alpha, float beta, ArrayView<float> u, long uOffset,
        ArrayView<float> v, long vOffset, int n)
    {
        if (Skewed) SkewedRows.Update(thread, groupSize, m, mOffset, alpha, beta, u, uOffset, v, vOffset, 1f, n, CooperativeRows.RankOne);
        else CooperativeRows.Update(this, m, mOffset, alpha, beta, u, uOffset, v, vOffset, 1f, n, CooperativeRows.RankOne);
    }

    public void UndoRankOneUpdate(ArrayView<float> m, long mOffset, float beta, ArrayView<float> u, long uOffset,
        ArrayView<float> v, long vOffset, float divisor, int n)
    {
        if (Skewed) SkewedRows.Update(thread, groupSize, m, mOffset, 0f, beta, u, uOffset, v, vOffset, divisor, n, CooperativeRows.UndoRankOne);
        else CooperativeRows.Update(this, m, mOffset, 0f, beta, u, uOffset, v, vOffset, divisor, n, CooperativeRows.UndoRankOne);
    }
}

/// <summary>
/// The row-wise matrix operations of <see cref="ISweepSchedule"/> over row-cooperative loops (<see cref="WarpRows"/>):
/// each row walked by <see cref="ISweepSchedule.Lanes"/> threads, lane l on columns l, l + Lanes, …; a product's row
/// sum is <see cref="ISweepSchedule.LaneSum(float)"/> of the lanes' partials (each in index order), written by the row's owner.
/// Per element the arithmetic is <see cref="ScalarVectorMath"/>'s, so the element-wise updates equal the thread
/// schedule's bit for bit; only the products' summation order differs (a tree over lanes).
/// </summary>
internal static class CooperativeRows
{
    public const int Scale = 0, Copy = 1, Fill = 2, RankOne = 3, UndoRankOne = 4;

    public static void Product<TSchedule>(TSchedule schedule, ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset,
        ArrayView<float> target, long targetOffset, int n, bool accumulate) where TSchedule : struct, ISweepSchedule
    {
        int lane = schedule.Lane, lanes = schedule.Lanes, size = schedule.RowBlockSize;
        for (int block = schedule.RowBlockStart; block < n; block += schedule.RowBlockStride)
            for (int r0 = 0; r0 < size && block + r0 < n; r0 += RowSums.Rows)
            {
                // A batch of rows, reduced together (one butterfly for all of them).
                var acc = new RowSums();
                for (int q = 0; q < RowSums.Rows && r0 + q < size && block + r0 + q < n; q++)
                {
                    long row = mOffset + (long)(block + r0 + q) * n;
                    float partial = 0f;
                    for (int j = lane; j < n; j += lanes)
                        partial += m[row + j] * v[vOffset + j];
                    acc.Add(q, partial);
                }
                acc = schedule.LaneSum(acc);
                int mine = lane - r0;
                if (mine >= 0 && mine < RowSums.Rows && block + lane < n)
                {
                    float total = acc.Get(mine);
                    long i = targetOffset + block + lane;
                    target[i] = accumulate ? target[i] + total : total;
                }
            }
    }

    /// <summary>
    /// Element-wise m_ij ← op(m_ij, u_i, v_j) over the rows: Scale (α m), Copy (m ← u, a matrix at uOffset), Fill (α),
    /// RankOne (α m + (β u_i) v_j), UndoRankOne ((m − (β u_i) v_j) / divisor). Starts with a lane barrier: the row's owner
    /// may just have written u_i or v_j, which the other lanes of its warp read.
    /// </summary>
    public static void Update<TSchedule>(TSchedule schedule, ArrayView<float> m, long mOffset, float alpha, float beta,
        ArrayView<float> u, long uOffset, ArrayView<float> v, long vOffset, float divisor, int n, int op)
        where TSchedule : struct, ISweepSchedule
    {
        schedule.LaneBarrier();
        int lane = schedule.Lane, lanes = schedule.Lanes, size = schedule.RowBlockSize;
        for (int block = schedule.RowBlockStart; block < n; block += schedule.RowBlockStride)
            for (int r = 0; r < size && block + r < n; r++)
            {
                int i = block + r;
                long row = mOffset + (long)i * n;
                float coefficient = op == RankOne || op == UndoRankOne ? beta * u[uOffset + i] : 0f;
                for (int j = lane; j < n; j += lanes)
                {
                    long e = row + j;
                    if (op == Scale) m[e] *= alpha;
                    else if (op == Copy) m[e] = u[uOffset + (long)i * n + j];
                    else if (op == Fill) m[e] = alpha;
                    else if (op == RankOne) m[e] = alpha * m[e] + coefficient * v[vOffset + j];
                    else m[e] = (m[e] - coefficient * v[vOffset + j]) / divisor;
                }
            }
    }
}
