using FastWeights.Kernels.Host;
using FastWeights.Kernels.Primitives;
using ILGPU;

namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// The CPU schedule (<see cref="SweepSchedule.Host"/>): one sequence per .NET thread-pool task running the sweep
/// body as plain .NET code over the CPU accelerator's memory, rows owned as in <see cref="ThreadSchedule"/>, and every
/// row product in SIMD over spans (<see cref="HostVectorMath"/>). Never compiled by ILGPU.
/// </summary>
internal readonly struct HostSchedule : ISweepSchedule
{
    public int First => 0;
    public int Stride => 1;
    public void Barrier() { }
    public float Sum(float partial, int slot) => partial;

    /// <summary>
    /// mᵀv as Σ_j v_j·(row j of m): contiguous rows in SIMD instead of strided columns. Sums over j in index order per
    /// element, as the column loop does.
    /// </summary>
    public void TransposedProduct(ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset,
        ArrayView<float> target, long targetOffset, int n)
    {
        var math = default(HostVectorMath);
        math.Fill(target, targetOffset, 0f, n);
        for (int j = 0; j < n; j++)
            math.Axpy(target, targetOffset, v[vOffset + j], m, mOffset + (long)j * n, n);
    }

    public float Dot(ArrayView<float> x, long xOffset, ArrayView<float> y, long yOffset, int n) =>
        default(HostVectorMath).Dot(x, xOffset, y, yOffset, n);
    public void Axpy(ArrayView<float> y, long yOffset, float a, ArrayView<float> x, long xOffset, int n) =>
        default(HostVectorMath).Axpy(y, yOffset, a, x, xOffset, n);
    public void ScaleAdd(ArrayView<float> y, long yOffset, float alpha, float beta, ArrayView<float> x, long xOffset, int n) =>
        default(HostVectorMath).ScaleAdd(y, yOffset, alpha, beta, x, xOffset, n);
    public void SubtractScaledDivide(ArrayView<float> y, long yOffset, float a, ArrayView<float> x, long xOffset, float divisor, int n) =>
        default(HostVectorMath).SubtractScaledDivide(y, yOffset, a, x, xOffset, divisor, n);
    public void Scale(ArrayView<float> y, long yOffset, float alpha, int n) => default(HostVectorMath).Scale(y, yOffset, alpha, n);
    public void Copy(ArrayView<float> target, long targetOffset, ArrayView<float> source, long sourceOffset, int n) =>
        default(HostVectorMath).Copy(target, targetOffset, source, sourceOffset, n);
    public void Fill(ArrayView<float> y, long yOffset, float value, int n) => default(HostVectorMath).Fill(y, yOffset, value, n);
}
