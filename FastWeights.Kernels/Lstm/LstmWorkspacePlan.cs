using FastWeights.Kernels.GatedCells;

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
    /// <summary>
    /// All elements together: the six buffers every gated cell keeps (<see cref="GatedCellBuffers{T}"/> with G = 4),
    /// then the cell's own (<see cref="LstmCellBuffers{T}"/>), as the workspace allocates them.
    /// </summary>
    public long TotalElements
    {
        get
        {
            var plan = this;
            return GatedCellWorkspace.Elements(Batch, Time, Hidden, LstmLayer.Gates, sizes => _ = new LstmCellBuffers<long>(plan.Batch, plan.Time, plan.Hidden, sizes));
        }
    }

    /// <summary>All bytes together (float32).</summary>
    public long TotalBytes => TotalElements * sizeof(float);
}

/// <summary>
/// The LSTM-LN cell's own buffers, in allocation order after the six every gated cell keeps, each with its float32 elements: counted
/// (T = long) by <see cref="LstmWorkspacePlan"/> or allocated (T = ArrayView&lt;float&gt;) by the workspace (<see cref="BufferSink{T}"/>).
/// </summary>
/// <typeparam name="T">A buffer's element count, or its device view.</typeparam>
/// <param name="b">B.</param>
/// <param name="t">T.</param>
/// <param name="h">H.</param>
/// <param name="sink">Takes each buffer in turn.</param>
internal sealed class LstmCellBuffers<T>(long b, long t, long h, BufferSink<T> sink)
{
    internal T CellStates { get; } = sink.Take(b * (t + 1) * h);  // [B,T+1,H] c before step 0 and after every step
    internal T CellNormalized { get; } = sink.Take(b * t * h);    // [B,T,H] the normalised cell ĉ of every step
    internal T CellInverseStd { get; } = sink.Take(b * t);        // [B,T] 1/σ of the cell's layer norm at every step
    internal T CellLayerNormGrad { get; } = sink.Take(b * 2 * h); // [B,2,H] per-sequence partial sums of dγ_c, dβ_c
}
