namespace FastWeights.Kernels.Core;

/// <summary>
/// The inner loops every kernel body shares: dot products and row updates over contiguous runs of a view.
/// Kernel bodies are generic over a struct implementing this, so the math is written once and each execution
/// path gets its own loops at compile time: <c>ScalarVectorMath</c> (Primitives/: element by element; what ILGPU
/// compiles for a GPU and what its CPU accelerator simulates) and <c>HostVectorMath</c> (Host/: SIMD over spans; only
/// for bodies run as plain .NET code over CPU memory, <see cref="HostExecution"/>).
/// </summary>
/// <remarks>
/// Every run is given as (view, offset) and a length n, with offset + n ≤ view.Length (the callers guarantee it);
/// no sub-views are formed on the hot path. The two implementations may round differently (SIMD partial sums), each
/// deterministically: the same inputs give the same bits on the same machine.
/// </remarks>
public interface IVectorMath
{
    /// <summary>Σ_k x[xOffset + k]·y[yOffset + k] for k &lt; n.</summary>
    float Dot(ArrayView<float> x, long xOffset, ArrayView<float> y, long yOffset, int n);

    /// <summary>y[yOffset + k] += a·x[xOffset + k] for k &lt; n. y and x may be the same run.</summary>
    void Axpy(ArrayView<float> y, long yOffset, float a, ArrayView<float> x, long xOffset, int n);

    /// <summary>y[yOffset + k] = alpha·y[yOffset + k] + beta·x[xOffset + k] for k &lt; n.</summary>
    void ScaleAdd(ArrayView<float> y, long yOffset, float alpha, float beta, ArrayView<float> x, long xOffset, int n);

    /// <summary>y[yOffset + k] = (y[yOffset + k] − a·x[xOffset + k]) / divisor for k &lt; n (the division is not a reciprocal).</summary>
    void SubtractScaledDivide(ArrayView<float> y, long yOffset, float a, ArrayView<float> x, long xOffset, float divisor, int n);

    /// <summary>y[yOffset + k] *= alpha for k &lt; n.</summary>
    void Scale(ArrayView<float> y, long yOffset, float alpha, int n);

    /// <summary>target[targetOffset + k] = source[sourceOffset + k] for k &lt; n (the runs must not overlap unless equal).</summary>
    void Copy(ArrayView<float> target, long targetOffset, ArrayView<float> source, long sourceOffset, int n);

    /// <summary>y[yOffset + k] = value for k &lt; n.</summary>
    void Fill(ArrayView<float> y, long yOffset, float value, int n);
}
