namespace FastWeights.Kernels.HyperLstm;

/// <summary>
/// The device buffers one training call of a <see cref="HyperLstmLayer"/> needs, in float32 elements: the single
/// place the memory formula of docs/lstm.md §8.4 is written down. In total
/// B·T·(25H + 9N_h + 24N_z + 10) + 2·B·(T+1)·(H + N_h) + B·(16H + 12N_h) elements.
/// </summary>
/// <param name="Batch">B.</param>
/// <param name="Time">T.</param>
/// <param name="Hidden">H.</param>
/// <param name="HyperHidden">N_h.</param>
/// <param name="Embedding">N_z.</param>
public readonly record struct HyperLstmWorkspacePlan(int Batch, int Time, int Hidden, int HyperHidden, int Embedding)
{
    private long Steps => (long)Batch * Time;

    /// <summary>[B,T,4H]: v = W_x x_t for all steps; the backward overwrites it with dv = da ⊙ d_x.</summary>
    public long MainProjectionElements => Steps * 4 * Hidden;

    /// <summary>[B,T,4H]: u = W_h h_{t−1}; the backward overwrites it with du = da ⊙ d_h.</summary>
    public long RecurrentElements => Steps * 4 * Hidden;

    /// <summary>[B,T,12H]: the scalings d (h, x, b); the backward overwrites them with dd.</summary>
    public long ScalingElements => Steps * 12 * Hidden;

    /// <summary>[B,T,4H]: the main gates' â.</summary>
    public long NormalizedElements => Steps * 4 * Hidden;

    /// <summary>[B,T,H]: the main cell's ĉ.</summary>
    public long CellNormalizedElements => Steps * Hidden;

    /// <summary>[B,T,4] + [B,T]: 1/σ of the main gate norms and of the main cell norm.</summary>
    public long InverseStdElements => Steps * 5;

    /// <summary>[B,T+1,H] each: the main h and c before step 0 and after every step.</summary>
    public long StatesElements => (long)Batch * (Time + 1) * Hidden;

    /// <summary>[B,T,4N_h]: Ŵ_x x_t + b̂ for all steps; the backward overwrites it with the hyper da.</summary>
    public long HyperProjectionElements => Steps * 4 * HyperHidden;

    /// <summary>[B,T,4N_h]: the hyper gates' â.</summary>
    public long HyperNormalizedElements => Steps * 4 * HyperHidden;

    /// <summary>[B,T,N_h]: the hyper cell's ĉ.</summary>
    public long HyperCellNormalizedElements => Steps * HyperHidden;

    /// <summary>[B,T,4] + [B,T]: 1/σ of the hyper norms.</summary>
    public long HyperInverseStdElements => Steps * 5;

    /// <summary>[B,T+1,N_h] each: ĥ and ĉ before step 0 and after every step.</summary>
    public long HyperStatesElements => (long)Batch * (Time + 1) * HyperHidden;

    /// <summary>[B,T,12N_z] each: the embeddings z, and their gradients dz.</summary>
    public long EmbeddingElements => Steps * 12 * Embedding;

    /// <summary>[B,2H+2N_h]: per-sequence vectors of the thread schedule (h, ĥ double buffers; dh, dc, dĥ, dĉ).</summary>
    public long VectorElements => (long)Batch * (2 * Hidden + 2 * HyperHidden);

    /// <summary>[B,4H]: the main da of the current step.</summary>
    public long MainGradientElements => (long)Batch * 4 * Hidden;

    /// <summary>[B,2,4H] + [B,2,H] + [B,2,4N_h] + [B,2,N_h]: per-sequence layer-norm partials, summed over B afterwards.</summary>
    public long LayerNormGradElements => (long)Batch * 2 * (5 * Hidden + 5 * HyperHidden);

    /// <summary>All elements together.</summary>
    public long TotalElements =>
        MainProjectionElements + RecurrentElements + ScalingElements + NormalizedElements + CellNormalizedElements + InverseStdElements
        + 2 * StatesElements + HyperProjectionElements + HyperNormalizedElements + HyperCellNormalizedElements + HyperInverseStdElements
        + 2 * HyperStatesElements + 2 * EmbeddingElements + VectorElements + MainGradientElements + LayerNormGradElements;

    /// <summary>All bytes together (float32).</summary>
    public long TotalBytes => TotalElements * sizeof(float);
}
