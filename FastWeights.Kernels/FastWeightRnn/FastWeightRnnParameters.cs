namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// The slow weights of a fast-weight layer as device views, row-major float32:
/// W [H,H], C [H,I], b [H], layer-norm gain g [H] and shift β [H].
/// </summary>
/// <param name="W">Recurrent weights [H,H]: z = W h + C x + b, (W h)_i = Σ_j W[i,j] h_j.</param>
/// <param name="C">Input weights [H,I].</param>
/// <param name="B">Bias b [H].</param>
/// <param name="LnGain">Layer-norm gain g [H].</param>
/// <param name="LnBias">Layer-norm shift β [H].</param>
public readonly record struct FastWeightRnnParameters(
    ArrayView<float> W, ArrayView<float> C, ArrayView<float> B, ArrayView<float> LnGain, ArrayView<float> LnBias);

/// <summary>
/// Gradients of the slow weights, same shapes as <see cref="FastWeightRnnParameters"/>:
/// dW [H,H], dC [H,I], db [H], dg [H], dβ [H]. A backward overwrites them (no accumulation).
/// </summary>
/// <param name="DW">dW [H,H].</param>
/// <param name="DC">dC [H,I].</param>
/// <param name="DB">db [H].</param>
/// <param name="DLnGain">dg [H].</param>
/// <param name="DLnBias">dβ [H].</param>
public readonly record struct FastWeightRnnParameterGradients(
    ArrayView<float> DW, ArrayView<float> DC, ArrayView<float> DB, ArrayView<float> DLnGain, ArrayView<float> DLnBias);
