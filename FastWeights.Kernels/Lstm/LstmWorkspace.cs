using FastWeights.Kernels.GatedCells;

namespace FastWeights.Kernels.Lstm;

/// <summary>
/// The device memory of one training call of an <see cref="LstmLayer"/>: what the forward stores for the
/// backward (states, cells, normalised gate and cell pre-activations, their 1/σ) and the backward's own buffers
/// (gate gradients, layer-norm partials). Sized for at most <see cref="DeviceWorkspace.MaxBatch"/> ×
/// <see cref="DeviceWorkspace.MaxTime"/>; create one with <see cref="GatedCellLayer{TOptions, TWorkspace}.CreateWorkspace"/>,
/// reuse it, dispose it when done.
/// </summary>
/// <remarks>
/// A forward overwrites the tape; a backward reads it and overwrites only its own buffers (the projection
/// buffer, reused for da, and the layer-norm partials), so it may be called again for another dy.
/// A workspace serves one call at a time: two streams must not share one. The buffers both gated cells keep are
/// <see cref="GatedCellWorkspace"/>'s (the normalised values there are the gates' â); the cell's own are below.
/// </remarks>
public sealed class LstmWorkspace : GatedCellWorkspace<LstmWorkspacePlan>
{
    internal LstmWorkspace(Accelerator accelerator, LstmWorkspacePlan plan)
        : base(accelerator, plan, plan.Batch, plan.Time, plan.Hidden, LstmLayer.Gates,
            sink => new LstmCellBuffers<ArrayView<float>>(plan.Batch, plan.Time, plan.Hidden, sink))
    {
    }

    /// <summary>The cell's own buffers, after the six every gated cell keeps (<see cref="GatedCellWorkspace.Shared"/>).</summary>
    internal LstmCellBuffers<ArrayView<float>> Buffers => (LstmCellBuffers<ArrayView<float>>)Cell;
}
