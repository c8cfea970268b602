using FastWeights.Kernels.Host;

namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// The CPU schedule (<see cref="SweepSchedule.Host"/>): one sequence per .NET thread-pool task running the sweep
/// body as plain .NET code over the CPU accelerator's memory, every row owned as in <see cref="ThreadSchedule"/>, and
/// the matrix operations as whole-matrix SIMD calls over spans (<see cref="HostMatrixMath"/>, <see cref="HostVectorMath"/>).
/// Never compiled by ILGPU.
/// </summary>
internal readonly struct HostSchedule : ISweepSchedule
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

    private static Span<float> Matrix(ArrayView<float> m, long offset, int n) => HostVectorMath.Run(m, offset, n * n);

    public void TransposedProduct(ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset,
        ArrayView<float> target, long targetOffset, int n) =>
        HostMatrixMath.TransposedProduct(Matrix(m, mOffset, n), HostVectorMath.Run(v, vOffset, n), HostVectorMath.Run(target, targetOffset, n), n);

    public void Product(ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset, ArrayView<float> target, long targetOffset, int n) =>
        HostMatrixMath.Product(Matrix(m, mOffset, n), HostVectorMath.Run(v, vOffset, n), HostVectorMath.Run(target, targetOffset, n), n, accumulate: false);

    public void ProductAdd(ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset, ArrayView<float> target, long targetOffset, int n) =>
        HostMatrixMath.Product(Matrix(m, mOffset, n), HostVectorMath.Run(v, vOffset, n), HostVectorMath.Run(target, targetOffset, n), n, accumulate: true);

    // Rows of an n×n matrix are contiguous, so the element-wise matrix operations are one run of n² elements.
    public void ScaleRows(ArrayView<float> m, long mOffset, float alpha, int n) => default(HostVectorMath).Scale(m, mOffset, alpha, n * n);

    public void CopyRows(ArrayView<float> target, long targetOffset, ArrayView<float> source, long sourceOffset, int n) =>
        default(HostVectorMath).Copy(target, targetOffset, source, sourceOffset, n * n);

    public void FillRows(ArrayView<float> m, long mOffset, float value, int n) => default(HostVectorMath).Fill(m, mOffset, value, n * n);

    // Host execution calls this directly: optimise at the first call (no tier-0 code), since a benchmark or a short
    // job would otherwise time unoptimised loops (measured 3-4x slower in a 4-call run). ILGPU ignores the flag.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void RankOneUpdate(ArrayView<float> m, long mOffset, float alpha, float beta, ArrayView<float> u, long uOffset,
        ArrayView<float> v, long vOffset, int n)
    {
        var matrix = Matrix(m, mOffset, n);
        var us = HostVectorMath.Run(u, uOffset, n);
        var vs = HostVectorMath.Run(v, vOffset, n);
        for (int i = 0; i < n; i++)
            HostVectorMath.ScaleAdd(matrix.Slice(i * n, n), alpha, beta * us[i], vs);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void UndoRankOneUpdate(ArrayView<float> m, long mOffset, float beta, ArrayView<float> u, long uOffset,
        ArrayView<float> v, long vOffset, float divisor, int n)
    {
        var matrix = Matrix(m, mOffset, n);
        var us = HostVectorMath.Run(u, uOffset, n);
        var vs = HostVectorMath.Run(v, vOffset, n);
        for (int i = 0; i < n; i++)
            HostVectorMath.SubtractScaledDivide(matrix.Slice(i * n, n), beta * us[i], vs, divisor);
    }
}
