namespace FastWeights.Kernels.HyperLstm;

/// <summary>
/// The device memory of one training call of a <see cref="HyperLstmLayer"/>: the forward's tape for both cells and
/// the embeddings, and the backward's own buffers. Sized for at most <see cref="MaxBatch"/> × <see cref="MaxTime"/>;
/// create one with <see cref="HyperLstmLayer.CreateWorkspace"/>, reuse it, dispose it when done.
/// </summary>
/// <remarks>
/// Unlike the LSTM's, this tape is consumed by a backward: to save memory the backward overwrites u, v, d and the
/// hyper projection with their gradients (docs/lstm.md §8.4). A second backward therefore needs a new forward; the
/// layer enforces that. A workspace serves one call at a time: two streams must not share one.
/// </remarks>
public sealed class HyperLstmWorkspace : DeviceWorkspace
{

    internal HyperLstmWorkspace(Accelerator accelerator, HyperLstmWorkspacePlan plan)
        : base(accelerator)
    {
        Plan = plan;
        Buffers = AllocateBuffers(sink => new HyperLstmBuffers<ArrayView<float>>(plan, sink));
    }

    /// <summary>The sizes this workspace serves and what was allocated, element by element.</summary>
    public HyperLstmWorkspacePlan Plan { get; }

    /// <inheritdoc/>
    public override int MaxBatch => Plan.Batch;

    /// <inheritdoc/>
    public override int MaxTime => Plan.Time;

    /// <summary>The buffers, <see cref="Plan"/>'s list.</summary>
    internal HyperLstmBuffers<ArrayView<float>> Buffers { get; }

    // ForwardShape (DeviceWorkspace) is set by a forward and cleared by the backward that consumes the tape.
}
