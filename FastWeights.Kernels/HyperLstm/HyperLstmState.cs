namespace FastWeights.Kernels.HyperLstm;

/// <summary>
/// The recurrent state of a HyperLSTM, or its gradient: the main cell's h and c [B,H] and the hyper cell's ĥ and ĉ
/// [B,N_h], as device views. In an input state an empty view means zeros; in an output gradient, not wanted.
/// </summary>
/// <param name="H">Main hidden state h [B,H].</param>
/// <param name="C">Main cell state c [B,H].</param>
/// <param name="HyperH">Hyper hidden state ĥ [B,N_h].</param>
/// <param name="HyperC">Hyper cell state ĉ [B,N_h].</param>
public readonly record struct HyperLstmState(ArrayView<float> H, ArrayView<float> C, ArrayView<float> HyperH, ArrayView<float> HyperC);
