using System.Runtime.CompilerServices;

namespace FastWeights.Kernels.Primitives;

/// <summary>
/// The per-row bodies of the dense matrix products y = b + W x, dW = Σ g xᵀ and dx = Wᵀ g, written once for every
/// kernel that forms them (<see cref="InputProjection"/> and <see cref="ParameterGradients"/> here, Model's dense
/// layer). Each is generic over <see cref="IVectorMath"/>, so it runs as scalar loops in an ILGPU kernel and as SIMD
/// loops on the host, with one rounding order per element either way: a kernel that calls these gets the same bits
/// whoever calls them.
/// </summary>
public static class RowProducts
{
    /// <summary>bias[row] + W[row,:]·x[xOffset .. xOffset+width): one element of y = b + W x.</summary>
    /// <typeparam name="TMath">The loops: <see cref="ScalarVectorMath"/> in a kernel, SIMD on the host.</typeparam>
    /// <param name="math">The loops' instance (a stateless struct).</param>
    /// <param name="weight">W [rows,width], row-major.</param>
    /// <param name="bias">b [rows].</param>
    /// <param name="row">The output element's row of W.</param>
    /// <param name="width">Columns of W: the length of x.</param>
    /// <param name="x">Holds x.</param>
    /// <param name="xOffset">Element of x[0].</param>
    /// <returns>The bias plus the dot product, the bias added last.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float AffineAt<TMath>(TMath math, ArrayView<float> weight, ArrayView<float> bias, int row, int width, ArrayView<float> x, long xOffset)
        where TMath : struct, IVectorMath =>
        bias[row] + math.Dot(weight, (long)row * width, x, xOffset, width);

    /// <summary>
    /// output[outputOffset .. +length) += Σ_r g[r]·rows[rowOffset + r·rowStride .. +length), r = 0 .. count−1 in order,
    /// one <see cref="IVectorMath.Axpy"/> per row: a run of one row of dW = Σ g xᵀ or of dx = Wᵀ g.
    /// </summary>
    /// <typeparam name="TMath">The loops: <see cref="ScalarVectorMath"/> in a kernel, SIMD on the host.</typeparam>
    /// <typeparam name="TWeights">Where g comes from (read once per row, in row order).</typeparam>
    /// <param name="math">The loops' instance (a stateless struct).</param>
    /// <param name="weights">g[0 .. count).</param>
    /// <param name="count">Rows summed.</param>
    /// <param name="rows">Holds the rows.</param>
    /// <param name="rowOffset">Element where row 0's run starts.</param>
    /// <param name="rowStride">Elements between the starts of row r and row r+1.</param>
    /// <param name="output">Holds the run accumulated into (not cleared here).</param>
    /// <param name="outputOffset">Element where the run starts.</param>
    /// <param name="length">Elements in the run.</param>
    // Host execution reaches this from its kernels' bodies: optimise at the first call like them (no tier-0 loop).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AccumulateWeightedRows<TMath, TWeights>(TMath math, TWeights weights, int count,
        ArrayView<float> rows, long rowOffset, long rowStride, ArrayView<float> output, long outputOffset, int length)
        where TMath : struct, IVectorMath
        where TWeights : struct, IRowWeights
    {
        for (int r = 0; r < count; r++)
            math.Axpy(output, outputOffset, weights.At(r), rows, rowOffset + r * rowStride, length);
    }
}
