using FastWeights.Kernels.GatedCells;

namespace FastWeights.Kernels.Gru;

/// <summary>
/// The device memory of one training call of a <see cref="GruLayer"/>: what the forward stores for the backward
/// (states, normalised input and recurrent projections, their 1/σ) and the backward's own buffers (projection
/// gradients, layer-norm partials). Sized for at most <see cref="DeviceWorkspace.MaxBatch"/> ×
/// <see cref="DeviceWorkspace.MaxTime"/>; create one with <see cref="GatedCellLayer{TOptions, TWorkspace}.CreateWorkspace"/>,
/// reuse it, dispose it when done.
/// </summary>
/// <remarks>
/// A forward overwrites the tape; a backward reads it and overwrites only its own buffers (the projection buffer,
/// reused for dp, dq and the layer-norm partials), so it may be called again for another dy.
/// A workspace serves one call at a time: two streams must not share one. The buffers both gated cells keep are
/// <see cref="GatedCellWorkspace"/>'s (the normalised values and norm partials there are the input projection's p̂,
/// dγ_x, dβ_x); the cell's own are below.
/// </remarks>
public sealed class GruWorkspace : GatedCellWorkspace<GruWorkspacePlan>
{
    internal GruWorkspace(Accelerator accelerator, GruWorkspacePlan plan)
        : base(accelerator, plan, plan.Batch, plan.Time, plan.Hidden, GruLayer.Gates,
            sink => new GruCellBuffers<ArrayView<float>>(plan.Batch, plan.Time, plan.Hidden, sink))
    {
    }

    /// <summary>The cell's own buffers, after the six every gated cell keeps (<see cref="GatedCellWorkspace.Shared"/>).</summary>
    internal GruCellBuffers<ArrayView<float>> Buffers => (GruCellBuffers<ArrayView<float>>)Cell;
}
