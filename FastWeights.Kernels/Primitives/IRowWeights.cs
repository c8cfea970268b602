
namespace FastWeights.Kernels.Primitives;

/// <summary>
/// The coefficients g[r] of a weighted row sum Σ_r g[r]·row_r (<see cref="RowProducts.AccumulateWeightedRows{TMath, TWeights}"/>):
/// a struct, so kernels that pass it compile on ILGPU and a caller can fuse its own transform of g (a ReLU mask, say).
/// </summary>
public interface IRowWeights
{
    /// <summary>g[r], the coefficient of row r. Called once per row, in row order.</summary>
    /// <param name="row">0 ≤ row &lt; the count given to the sum.</param>
    float At(int row);
}

/// <summary>Coefficients read from memory at a fixed stride: g[r] = View[Offset + r·Stride].</summary>
/// <param name="view">Where the coefficients live.</param>
/// <param name="offset">Element of g[0].</param>
/// <param name="stride">Elements between g[r] and g[r+1].</param>
public readonly struct StridedRowWeights(ArrayView<float> view, long offset, long stride) : IRowWeights
{
    private readonly ArrayView<float> view = view;
    private readonly long offset = offset;
    private readonly long stride = stride;

    /// <inheritdoc />
    public float At(int row) => view[offset + row * stride];
}
