using FastWeights.Kernels.Primitives;
using ILGPU;

namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// The part of a sweep that differs between schedules: which rows this thread owns
/// (rows First, First+Stride, …), how a per-thread partial sum becomes the sequence's sum, and
/// what separates two phases, and the matrix operations of a step over the rows it owns. Kernels are generic over
/// a struct implementing this, so ILGPU (or the .NET JIT, for <see cref="HostSchedule"/>) specialises each schedule at
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
/// One group per sequence. Thread k owns rows k, k+G, k+2G, … Sums: each thread writes its partial
/// to a shared slot, one barrier, then every thread adds the G partials in index order, so all threads
/// hold the bit-identical total. Two slots alternate, which makes a second barrier unnecessary: a thread
/// can only overwrite slot s again after the barrier of the next reduction, which every thread reaches
/// only after it finished reading slot s.
/// </summary>
internal readonly struct GroupSchedule : ISweepSchedule
{
    private readonly ArrayView<float> partials; // [2, G] in shared memory
    private readonly int thread;
    private readonly int groupSize;

    public GroupSchedule(ArrayView<float> partials, int thread, int groupSize)
    {
        this.partials = partials;
        this.thread = thread;
        this.groupSize = groupSize;
    }

    public int First => thread;
    public int Stride => groupSize;
    public void Barrier() => Group.Barrier();

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

    public void TransposedProduct(ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset,
        ArrayView<float> target, long targetOffset, int n) =>
        ColumnProducts.Own(thread, groupSize, m, mOffset, v, vOffset, target, targetOffset, n);

    public void Product(ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset, ArrayView<float> target, long targetOffset, int n) =>
        OwnRows.Product(default(ScalarVectorMath), thread, groupSize, m, mOffset, v, vOffset, target, targetOffset, n);
    public void ProductAdd(ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset, ArrayView<float> target, long targetOffset, int n) =>
        OwnRows.ProductAdd(default(ScalarVectorMath), thread, groupSize, m, mOffset, v, vOffset, target, targetOffset, n);
    public void ScaleRows(ArrayView<float> m, long mOffset, float alpha, int n) =>
        OwnRows.ScaleRows(default(ScalarVectorMath), thread, groupSize, m, mOffset, alpha, n);
    public void CopyRows(ArrayView<float> target, long targetOffset, ArrayView<float> source, long sourceOffset, int n) =>
        OwnRows.CopyRows(default(ScalarVectorMath), thread, groupSize, target, targetOffset, source, sourceOffset, n);
    public void FillRows(ArrayView<float> m, long mOffset, float value, int n) =>
        OwnRows.FillRows(default(ScalarVectorMath), thread, groupSize, m, mOffset, value, n);
    public void RankOneUpdate(ArrayView<float> m, long mOffset, float alpha, float beta, ArrayView<float> u, long uOffset,
        ArrayView<float> v, long vOffset, int n) =>
        OwnRows.RankOneUpdate(default(ScalarVectorMath), thread, groupSize, m, mOffset, alpha, beta, u, uOffset, v, vOffset, n);
    public void UndoRankOneUpdate(ArrayView<float> m, long mOffset, float beta, ArrayView<float> u, long uOffset,
        ArrayView<float> v, long vOffset, float divisor, int n) =>
        OwnRows.UndoRankOneUpdate(default(ScalarVectorMath), thread, groupSize, m, mOffset, beta, u, uOffset, v, vOffset, divisor, n);

}
