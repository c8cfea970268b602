namespace FastWeights.Kernels.Lstm;

/// <summary>
/// The weights of a layer-normalised LSTM as device views, row-major float32. Gate blocks are stacked in the
/// order i, f, g, o (input, forget, candidate, output): rows [kH, (k+1)H) of the 4H-row tensors belong to gate k.
/// </summary>
/// <param name="WH">Recurrent weights W_h [4H,H].</param>
/// <param name="WX">Input weights W_x [4H,I].</param>
/// <param name="B">Bias b [4H], added before the gate layer norm.</param>
/// <param name="LnGain">Gate layer-norm gains γ [4H] (one H-block per gate).</param>
/// <param name="LnBias">Gate layer-norm shifts β [4H].</param>
/// <param name="CellLnGain">Cell layer-norm gain γ_c [H].</param>
/// <param name="CellLnBias">Cell layer-norm shift β_c [H].</param>
public readonly record struct LstmParameters(
    ArrayView<float> WH, ArrayView<float> WX, ArrayView<float> B, ArrayView<float> LnGain, ArrayView<float> LnBias,
    ArrayView<float> CellLnGain, ArrayView<float> CellLnBias);

/// <summary>
/// Gradients of the weights, same shapes as <see cref="LstmParameters"/>. A backward overwrites them (no accumulation),
/// summed over the batch and time in a fixed order (bit-identical run to run).
/// </summary>
/// <param name="DWH">dW_h [4H,H].</param>
/// <param name="DWX">dW_x [4H,I].</param>
/// <param name="DB">db [4H].</param>
/// <param name="DLnGain">dγ [4H].</param>
/// <param name="DLnBias">dβ [4H].</param>
/// <param name="DCellLnGain">dγ_c [H].</param>
/// <param name="DCellLnBias">dβ_c [H].</param>
public readonly record struct LstmParameterGradients(
    ArrayView<float> DWH, ArrayView<float> DWX, ArrayView<float> DB, ArrayView<float> DLnGain, ArrayView<float> DLnBias,
    ArrayView<float> DCellLnGain, ArrayView<float> DCellLnBias);
