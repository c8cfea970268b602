namespace FastWeights.Kernels.Gru;

/// <summary>
/// The device buffers one training call (forward + backward) of a <see cref="GruLayer"/> needs, in float32 elements:
/// the single place the memory formula of docs/gru.md §4 is written down. The workspace allocates exactly these
/// buffers. In total B·T·(12H + 4) + B·(T+1)·H + 14·B·H elements.
/// </summary>
/// <param name="Batch">B.</param>
/// <param name="Time">T.</param>
/// <param name="Hidden">H.</param>
public readonly record struct GruWorkspacePlan(int Batch, int Time, int Hidden)
{
    /// <summary>[B,T,3H]: the input projection W_x x_t in the forward, reused for its gradient dp in the backward.</summary>
    public long ProjectionElements => (long)Batch * Time * 3 * Hidden;

    /// <summary>[B,T,3H]: the normalised input projection p̂ of every step.</summary>
    public long InputNormalizedElements => ProjectionElements;

    /// <summary>[B,T,3H]: the normalised recurrent projection q̂ of every step (q = W_h h before normalisation).</summary>
    public long RecurrentNormalizedElements => ProjectionElements;

    /// <summary>[B,T,3H]: the backward's dq = dL/dq of every step, for dW_h.</summary>
    public long RecurrentGradElements => ProjectionElements;

    /// <summary>[B,T,4]: 1/sqrt(var + ε) of the four layer norms at every step (input gates, recurrent gates, input candidate, recurrent candidate).</summary>
    public long InverseStdElements => (long)Batch * Time * 4;

    /// <summary>[B,T+1,H]: h before step 0 and after every step.</summary>
    public long StatesElements => (long)Batch * (Time + 1) * Hidden;

    /// <summary>[B,2,H]: per-sequence vectors of the thread schedule (h double buffer forward; dh backward).</summary>
    public long VectorElements => (long)Batch * 2 * Hidden;

    /// <summary>[B,2,3H]: per-sequence partial sums of dγ_x and dβ_x, reduced over B in a fixed order afterwards.</summary>
    public long InputLayerNormGradElements => (long)Batch * 2 * 3 * Hidden;

    /// <summary>[B,2,3H]: per-sequence partial sums of dγ_h and dβ_h.</summary>
    public long RecurrentLayerNormGradElements => InputLayerNormGradElements;

    /// <summary>
    /// Every buffer, in the order the workspace allocates them: the six every gated cell keeps (projection, states,
    /// normalised input projection, the norms' 1/σ, vectors, input-norm partials; <see cref="GatedCells.GatedCellWorkspace"/>),
    /// then the cell's.
    /// </summary>
    internal long[] Elements =>
    [
        ProjectionElements, StatesElements, InputNormalizedElements, InverseStdElements, VectorElements, InputLayerNormGradElements,
        RecurrentNormalizedElements, RecurrentGradElements, RecurrentLayerNormGradElements,
    ];

    /// <summary>All elements together.</summary>
    public long TotalElements => Elements.Sum();

    /// <summary>All bytes together (float32).</summary>
    public long TotalBytes => TotalElements * sizeof(float);
}
