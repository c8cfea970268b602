namespace FastWeights.Kernels.HyperLstm;

/// <summary>
/// The weights of a HyperLSTM as device views, row-major float32 (docs/lstm.md §8). Gate blocks are stacked i, f, g, o.
/// The twelve embeddings z and scalings d are stacked by type (h, x, b), then gate: block τ·4 + k.
/// </summary>
/// <param name="WH">Main recurrent weights W_h [4H,H].</param>
/// <param name="WX">Main input weights W_x [4H,I].</param>
/// <param name="B">Main bias b [4H], added to d_b.</param>
/// <param name="LnGain">Main gate layer-norm gains [4H].</param>
/// <param name="LnBias">Main gate layer-norm shifts [4H].</param>
/// <param name="CellLnGain">Main cell layer-norm gain [H].</param>
/// <param name="CellLnBias">Main cell layer-norm shift [H].</param>
/// <param name="HyperWH">Hyper recurrent weights on ĥ [4N_h,N_h].</param>
/// <param name="HyperWHMain">Hyper weights on the main h_{t−1} [4N_h,H].</param>
/// <param name="HyperWX">Hyper weights on x_t [4N_h,I].</param>
/// <param name="HyperB">Hyper bias [4N_h].</param>
/// <param name="HyperLnGain">Hyper gate layer-norm gains [4N_h].</param>
/// <param name="HyperLnBias">Hyper gate layer-norm shifts [4N_h].</param>
/// <param name="HyperCellLnGain">Hyper cell layer-norm gain [N_h].</param>
/// <param name="HyperCellLnBias">Hyper cell layer-norm shift [N_h].</param>
/// <param name="WZ">Embedding weights W_z [12N_z,N_h]: z = W_z ĥ_t + [b_z; 0].</param>
/// <param name="BZ">Embedding bias b_z [8N_z] for the h and x embeddings (the b embeddings have none, as in the paper).</param>
/// <param name="WD">Scaling weights W_d [12H,N_z]: d[τ,k,j] = Σ_m W_d[(τ,k,j),m] z[τ,k,m].</param>
public readonly record struct HyperLstmParameters(
    ArrayView<float> WH, ArrayView<float> WX, ArrayView<float> B, ArrayView<float> LnGain, ArrayView<float> LnBias,
    ArrayView<float> CellLnGain, ArrayView<float> CellLnBias,
    ArrayView<float> HyperWH, ArrayView<float> HyperWHMain, ArrayView<float> HyperWX, ArrayView<float> HyperB,
    ArrayView<float> HyperLnGain, ArrayView<float> HyperLnBias, ArrayView<float> HyperCellLnGain, ArrayView<float> HyperCellLnBias,
    ArrayView<float> WZ, ArrayView<float> BZ, ArrayView<float> WD);

/// <summary>
/// Gradients of the weights, same shapes and order as <see cref="HyperLstmParameters"/>. A backward overwrites them
/// (no accumulation), summed over the batch and time in a fixed order (bit-identical run to run).
/// </summary>
/// <param name="DWH">dW_h [4H,H].</param>
/// <param name="DWX">dW_x [4H,I].</param>
/// <param name="DB">db [4H].</param>
/// <param name="DLnGain">Main gate dγ [4H].</param>
/// <param name="DLnBias">Main gate dβ [4H].</param>
/// <param name="DCellLnGain">Main cell dγ_c [H].</param>
/// <param name="DCellLnBias">Main cell dβ_c [H].</param>
/// <param name="DHyperWH">[4N_h,N_h].</param>
/// <param name="DHyperWHMain">[4N_h,H].</param>
/// <param name="DHyperWX">[4N_h,I].</param>
/// <param name="DHyperB">[4N_h].</param>
/// <param name="DHyperLnGain">[4N_h].</param>
/// <param name="DHyperLnBias">[4N_h].</param>
/// <param name="DHyperCellLnGain">[N_h].</param>
/// <param name="DHyperCellLnBias">[N_h].</param>
/// <param name="DWZ">[12N_z,N_h].</param>
/// <param name="DBZ">[8N_z].</param>
/// <param name="DWD">[12H,N_z].</param>
public readonly record struct HyperLstmParameterGradients(
    ArrayView<float> DWH, ArrayView<float> DWX, ArrayView<float> DB, ArrayView<float> DLnGain, ArrayView<float> DLnBias,
    ArrayView<float> DCellLnGain, ArrayView<float> DCellLnBias,
    ArrayView<float> DHyperWH, ArrayView<float> DHyperWHMain, ArrayView<float> DHyperWX, ArrayView<float> DHyperB,
    ArrayView<float> DHyperLnGain, ArrayView<float> DHyperLnBias, ArrayView<float> DHyperCellLnGain, ArrayView<float> DHyperCellLnBias,
    ArrayView<float> DWZ, ArrayView<float> DBZ, ArrayView<float> DWD);
