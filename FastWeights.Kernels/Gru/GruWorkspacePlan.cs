using FastWeights.Kernels.GatedCells;

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
    /// <summary>
    /// All elements together: the six buffers every gated cell keeps (<see cref="GatedCellBuffers{T}"/> with G = 3),
    /// then the cell's own (<see cref="GruCellBuffers{T}"/>), as the workspace allocates them.
    /// </summary>
    public long TotalElements
    {
        get
        {
            var plan = this;
            return GatedCellWorkspace.Elements(Batch, Time, Hidden, GruLayer.Gates, sizes => _ = new GruCellBuffers<long>(plan.Batch, plan.Time, plan.Hidden, sizes));
        }
    }

    /// <summary>All bytes together (float32).</summary>
    public long TotalBytes => TotalElements * sizeof(float);
}

/// <summary>
/// The GRU-LN cell's own buffers, in allocation order after the six every gated cell keeps, each with its float32 elements: counted
/// (T = long) by <see cref="GruWorkspacePlan"/> or allocated (T = ArrayView&lt;float&gt;) by the workspace (<see cref="BufferSink{T}"/>).
/// </summary>
/// <typeparam name="T">A buffer's element count, or its device view.</typeparam>
/// <param name="b">B.</param>
/// <param name="t">T.</param>
/// <param name="h">H.</param>
/// <param name="sink">Takes each buffer in turn.</param>
internal sealed class GruCellBuffers<T>(long b, long t, long h, BufferSink<T> sink)
{
    internal T RecurrentNormalized { get; } = sink.Take(b * t * 3 * h);   // [B,T,3H] the normalised recurrent projection q̂ (q = W_h h)
    internal T RecurrentGrad { get; } = sink.Take(b * t * 3 * h);         // [B,T,3H] the backward's dq of every step, for dW_h
    internal T RecurrentLayerNormGrad { get; } = sink.Take(b * 2 * 3 * h); // [B,2,3H] per-sequence partial sums of dγ_h, dβ_h
}
