namespace FastWeights.Kernels.GatedCells;

/// <summary>
/// A gated cell's weight tensors (or their gradients) in the order of its parameter record, each with the name its
/// checks use: W_h [GH,H], W_x [GH,I], then the vectors of GH rows (one block per gate), then those of H rows (the
/// LSTM's cell norm). G is the cell's gate count (4 for the LSTM, 3 for the GRU).
/// </summary>
/// <param name="WH">W_h or dW_h.</param>
/// <param name="WX">W_x or dW_x.</param>
/// <param name="GateVectors">The vectors of GH rows, by name.</param>
/// <param name="UnitVectors">The vectors of H rows, by name (none for the GRU).</param>
internal readonly record struct GatedCellWeights(ArrayView<float> WH, ArrayView<float> WX,
    (ArrayView<float> View, string Name)[] GateVectors, (ArrayView<float> View, string Name)[] UnitVectors)
{
    /// <summary>Every tensor with its name, in the record's order (what the finite check scans).</summary>
    public (ArrayView<float> View, string Name)[] Named => [(WH, "WH"), (WX, "WX"), .. GateVectors, .. UnitVectors];
}
