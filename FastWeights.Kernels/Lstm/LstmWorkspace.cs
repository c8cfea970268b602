namespace FastWeights.Kernels.Lstm;

/// <summary>
/// The device memory of one training call of an <see cref="LstmLayer"/>: what the forward stores for the
/// backward (states, cells, normalised gate and cell pre-activations, their 1/σ) and the backward's own buffers
/// (gate gradients, layer-norm partials). Sized for at most <see cref="MaxBatch"/> × <see cref="MaxTime"/>;
/// create one with <see cref="LstmLayer.CreateWorkspace"/>, reuse it, dispose it when done.
/// </summary>
/// <remarks>
/// A forward overwrites the tape; a backward reads it and overwrites only its own buffers (the projection
/// buffer, reused for da, and the layer-norm partials), so it may be called again for another dy.
/// A workspace serves one call at a time: two streams must not share one.
/// </remarks>
public sealed class LstmWorkspace : DeviceWorkspace
{

    internal LstmWorkspace(Accelerator accelerator, LstmWorkspacePlan plan)
        : base(accelerator)
    {
        Plan = plan;
        try
        {
            Projection = Allocate(plan.ProjectionElements);
            States = Allocate(plan.StatesElements);
            CellStates = Allocate(plan.CellStatesElements);
            Normalized = Allocate(plan.NormalizedElements);
            InverseStd = Allocate(plan.InverseStdElements);
            CellNormalized = Allocate(plan.CellNormalizedElements);
            CellInverseStd = Allocate(plan.CellInverseStdElements);
            Vectors = Allocate(plan.VectorElements);
            LayerNormGrad = Allocate(plan.LayerNormGradElements);
            CellLayerNormGrad = Allocate(plan.CellLayerNormGradElements);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The sizes this workspace serves and what was allocated, element by element.</summary>
    public LstmWorkspacePlan Plan { get; }

    /// <inheritdoc/>
    public override int MaxBatch => Plan.Batch;

    /// <inheritdoc/>
    public override int MaxTime => Plan.Time;

    internal ArrayView<float> Projection { get; }
    internal ArrayView<float> States { get; }
    internal ArrayView<float> CellStates { get; }
    internal ArrayView<float> Normalized { get; }
    internal ArrayView<float> InverseStd { get; }
    internal ArrayView<float> CellNormalized { get; }
    internal ArrayView<float> CellInverseStd { get; }
    internal ArrayView<float> Vectors { get; }
    internal ArrayView<float> LayerNormGrad { get; }
    internal ArrayView<float> CellLayerNormGrad { get; }
}
