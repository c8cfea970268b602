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
    /// <summary>All elements together.</summary>
    public long TotalElements
    {
        get
        {
            var plan = this;
            return BufferSizes.TotalOf(sizes => _ = new HyperLstmBuffers<long>(plan, sizes));
        }
    }

    /// <summary>All bytes together (float32).</summary>
    public long TotalBytes => TotalElements * sizeof(float);
}

/// <summary>
/// The buffers of a <see cref="HyperLstmWorkspace"/>, in allocation order, each with its size in float32 elements: the
/// one list both <see cref="HyperLstmWorkspacePlan.TotalElements"/> counts (T = long) and the workspace allocates
/// (T = ArrayView&lt;float&gt;; <see cref="BufferSink{T}"/>). A buffer of several parts is one device buffer.
/// </summary>
/// <typeparam name="T">A buffer's element count, or its device view.</typeparam>
/// <param name="plan">The sizes.</param>
/// <param name="sink">Takes each buffer in turn.</param>
internal sealed class HyperLstmBuffers<T>(HyperLstmWorkspacePlan plan, BufferSink<T> sink)
{
    private static long Steps(HyperLstmWorkspacePlan p) => (long)p.Batch * p.Time;

    /// <summary>[B,T,4H]: v = W_x x_t for all steps; the backward overwrites it with dv = da ⊙ d_x.</summary>
    internal T MainProjection { get; } = sink.Take(Steps(plan) * 4 * plan.Hidden);

    /// <summary>[B,T,4H]: u = W_h h_{t−1}; the backward overwrites it with du = da ⊙ d_h.</summary>
    internal T Recurrent { get; } = sink.Take(Steps(plan) * 4 * plan.Hidden);

    /// <summary>[B,T,12H]: the scalings d (h, x, b); the backward overwrites them with dd.</summary>
    internal T Scalings { get; } = sink.Take(Steps(plan) * 12 * plan.Hidden);

    /// <summary>The main cell's tape (width H).</summary>
    internal HyperLstmCellTape<T> Main { get; } = new(plan.Batch, plan.Time, plan.Hidden, sink);

    /// <summary>[B,T,4N_h]: Ŵ_x x_t + b̂ for all steps; the backward overwrites it with the hyper da.</summary>
    internal T HyperProjection { get; } = sink.Take(Steps(plan) * 4 * plan.HyperHidden);

    /// <summary>The hyper cell's tape (width N_h).</summary>
    internal HyperLstmCellTape<T> Hyper { get; } = new(plan.Batch, plan.Time, plan.HyperHidden, sink);

    /// <summary>[B,T,12N_z] each: the embeddings z, and their gradients dz.</summary>
    internal T Embeddings { get; } = sink.Take(Steps(plan) * 12 * plan.Embedding);

    /// <inheritdoc cref="Embeddings"/>
    internal T EmbeddingGrad { get; } = sink.Take(Steps(plan) * 12 * plan.Embedding);

    /// <summary>[B,2H+2N_h]: per-sequence vectors of the thread schedule (h, ĥ double buffers; dh, dc, dĥ, dĉ).</summary>
    internal T Vectors { get; } = sink.Take((long)plan.Batch * (2 * plan.Hidden + 2 * plan.HyperHidden));

    /// <summary>[B,4H]: the main da of the current step.</summary>
    internal T MainGradient { get; } = sink.Take((long)plan.Batch * 4 * plan.Hidden);

    /// <summary>
    /// [B,2,4H] + [B,2,H] + [B,2,4N_h] + [B,2,N_h]: per-sequence layer-norm partials, summed over B afterwards
    /// (<see cref="LayerNormGrad"/>, <see cref="CellLayerNormGrad"/>, <see cref="HyperLayerNormGrad"/>, <see cref="HyperCellLayerNormGrad"/>).
    /// </summary>
    private T[] LayerNormGrads { get; } = sink.TakeParts(
        (long)plan.Batch * 8 * plan.Hidden, (long)plan.Batch * 2 * plan.Hidden,
        (long)plan.Batch * 8 * plan.HyperHidden, (long)plan.Batch * 2 * plan.HyperHidden);

    internal T LayerNormGrad => LayerNormGrads[0];
    internal T CellLayerNormGrad => LayerNormGrads[1];
    internal T HyperLayerNormGrad => LayerNormGrads[2];
    internal T HyperCellLayerNormGrad => LayerNormGrads[3];
}

/// <summary>
/// What one layer-normalised LSTM cell of a <see cref="HyperLstmLayer"/> (the main cell, width H, or the hyper cell, width
/// N_h) keeps on the tape besides its projections, in allocation order (<see cref="BufferSink{T}"/>).
/// </summary>
/// <typeparam name="T">A buffer's element count, or its device view.</typeparam>
/// <param name="b">B.</param>
/// <param name="t">T.</param>
/// <param name="width">The cell's width (H or N_h).</param>
/// <param name="sink">Takes each buffer in turn.</param>
internal sealed class HyperLstmCellTape<T>(long b, long t, long width, BufferSink<T> sink)
{
    /// <summary>[B,T,4·width]: the gates' â.</summary>
    internal T Normalized { get; } = sink.Take(b * t * 4 * width);

    /// <summary>[B,T,width]: the cell's ĉ.</summary>
    internal T CellNormalized { get; } = sink.Take(b * t * width);

    /// <summary>[B,T,4] + [B,T], one buffer: 1/σ of the gate norms (<see cref="InverseStd"/>) and of the cell norm (<see cref="CellInverseStd"/>).</summary>
    private T[] InverseStds { get; } = sink.TakeParts(b * t * 4, b * t);

    /// <summary>[B,T+1,width]: h before step 0 and after every step.</summary>
    internal T States { get; } = sink.Take(b * (t + 1) * width);

    /// <summary>[B,T+1,width]: c before step 0 and after every step.</summary>
    internal T CellStates { get; } = sink.Take(b * (t + 1) * width);

    internal T InverseStd => InverseStds[0];
    internal T CellInverseStd => InverseStds[1];
}
