namespace FastWeights.Kernels.Lstm;

/// <summary>
/// The device buffers one training call (forward + backward) of an <see cref="LstmLayer"/> needs, in float32
/// elements: the single place the memory formula of docs/lstm.md §4 is written down. The workspace allocates
/// exactly these buffers. In total B·T·(9H + 5) + 2·B·(T+1)·H + 12·B·H elements.
/// </summary>
/// <param name="Batch">B.</param>
/// <param name="Time">T.</param>
/// <param name="Hidden">H.</param>
public readonly record struct LstmWorkspacePlan(int Batch, int Time, int Hidden)
{
    /// <summary>[B,T,4H]: the input projection W_x x_t + b in the forward, reused for the gate gradients da in the backward.</summary>
    public long ProjectionElements => (long)Batch * Time * 4 * Hidden;

    /// <summary>[B,T+1,H]: h before step 0 and after every step.</summary>
    public long StatesElements => (long)Batch * (Time + 1) * Hidden;

    /// <summary>[B,T+1,H]: c before step 0 and after every step.</summary>
    public long CellStatesElements => StatesElements;

    /// <summary>[B,T,4H]: the normalised gate pre-activations â of every step (the gate outputs are recomputed from them).</summary>
    public long NormalizedElements => ProjectionElements;

    /// <summary>[B,T,4]: 1/sqrt(var + ε) of each gate's layer norm at every step.</summary>
    public long InverseStdElements => (long)Batch * Time * 4;

    /// <summary>[B,T,H]: the normalised cell ĉ of every step.</summary>
    public long CellNormalizedElements => (long)Batch * Time * Hidden;

    /// <summary>[B,T]: 1/sqrt(var + ε) of the cell's layer norm at every step.</summary>
    public long CellInverseStdElements => (long)Batch * Time;

    /// <summary>[B,2,H]: per-sequence vectors of the thread schedule (h double buffer forward; dh, dc backward).</summary>
    public long VectorElements => (long)Batch * 2 * Hidden;

    /// <summary>[B,2,4H]: per-sequence partial sums of dγ and dβ of the gates, reduced over B in a fixed order afterwards.</summary>
    public long LayerNormGradElements => (long)Batch * 2 * 4 * Hidden;

    /// <summary>[B,2,H]: per-sequence partial sums of dγ_c and dβ_c.</summary>
    public long CellLayerNormGradElements => (long)Batch * 2 * Hidden;

    /// <summary>
    /// Every buffer, in the order the workspace allocates them: the six every gated cell keeps (projection, states,
    /// normalised gates, their 1/σ, vectors, gate-norm partials; <see cref="GatedCells.GatedCellWorkspace"/>), then the cell's.
    /// </summary>
    internal long[] Elements =>
    [
        ProjectionElements, StatesElements, NormalizedElements, InverseStdElements, VectorElements, LayerNormGradElements,
        CellStatesElements, CellNormalizedElements, CellInverseStdElements, CellLayerNormGradElements,
    ];

    /// <summary>All elements together.</summary>
    public long TotalElements => Elements.Sum();

    /// <summary>All bytes together (float32).</summary>
    public long TotalBytes => TotalElements * sizeof(float);
}
