namespace FastWeights.Kernels.Gru;

/// <summary>
/// The weights of a layer-normalised GRU as device views, row-major float32. Row blocks are stacked in the order
/// r, u, n (reset gate, update gate, candidate): rows [kH, (k+1)H) of the 3H-row tensors belong to block k.
/// There is no separate bias: the layer-norm shifts β_x + β_h are the biases (docs/gru.md §2).
/// </summary>
/// <param name="WH">Recurrent weights W_h [3H,H].</param>
/// <param name="WX">Input weights W_x [3H,I].</param>
/// <param name="InputLnGain">Gains γ_x [3H] of the input-projection layer norms (rows 0..2H: the gates' norm, 2H..3H: the candidate's).</param>
/// <param name="InputLnBias">Shifts β_x [3H] of the input-projection layer norms.</param>
/// <param name="RecurrentLnGain">Gains γ_h [3H] of the recurrent-projection layer norms.</param>
/// <param name="RecurrentLnBias">Shifts β_h [3H] of the recurrent-projection layer norms.</param>
public readonly record struct GruParameters(
    ArrayView<float> WH, ArrayView<float> WX, ArrayView<float> InputLnGain, ArrayView<float> InputLnBias,
    ArrayView<float> RecurrentLnGain, ArrayView<float> RecurrentLnBias);

/// <summary>
/// Gradients of the weights, same shapes as <see cref="GruParameters"/>. A backward overwrites them (no accumulation),
/// summed over the batch and time in a fixed order (bit-identical run to run).
/// </summary>
/// <param name="DWH">dW_h [3H,H].</param>
/// <param name="DWX">dW_x [3H,I].</param>
/// <param name="DInputLnGain">dγ_x [3H].</param>
/// <param name="DInputLnBias">dβ_x [3H].</param>
/// <param name="DRecurrentLnGain">dγ_h [3H].</param>
/// <param name="DRecurrentLnBias">dβ_h [3H].</param>
public readonly record struct GruParameterGradients(
    ArrayView<float> DWH, ArrayView<float> DWX, ArrayView<float> DInputLnGain, ArrayView<float> DInputLnBias,
    ArrayView<float> DRecurrentLnGain, ArrayView<float> DRecurrentLnBias);
