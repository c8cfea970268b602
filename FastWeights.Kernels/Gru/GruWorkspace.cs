namespace FastWeights.Kernels.Gru;

/// <summary>
/// The device memory of one training call of a <see cref="GruLayer"/>: what the forward stores for the backward
/// (states, normalised input and recurrent projections, their 1/σ) and the backward's own buffers (projection
/// gradients, layer-norm partials). Sized for at most <see cref="MaxBatch"/> × <see cref="MaxTime"/>; create one with
/// <see cref="GruLayer.CreateWorkspace"/>, reuse it, dispose it when done.
/// </summary>
/// <remarks>
/// A forward overwrites the tape; a backward reads it and overwrites only its own buffers (the projection buffer,
/// reused for dp, dq and the layer-norm partials), so it may be called again for another dy.
/// A workspace serves one call at a time: two streams must not share one.
/// </remarks>
public sealed class GruWorkspace : DeviceWorkspace
{
    internal GruWorkspace(Accelerator accelerator, GruWorkspacePlan plan)
        : base(accelerator)
    {
        Plan = plan;
        try
        {
            Projection = Allocate(plan.ProjectionElements);
            InputNormalized = Allocate(plan.InputNormalizedElements);
            RecurrentNormalized = Allocate(plan.RecurrentNormalizedElements);
            RecurrentGrad = Allocate(plan.RecurrentGradElements);
            InverseStd = Allocate(plan.InverseStdElements);
            States = Allocate(plan.StatesElements);
            Vectors = Allocate(plan.VectorElements);
            InputLayerNormGrad = Allocate(plan.InputLayerNormGradElements);
            RecurrentLayerNormGrad = Allocate(plan.RecurrentLayerNormGradElements);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The sizes this workspace serves and what was allocated, element by element.</summary>
    public GruWorkspacePlan Plan { get; }

    /// <inheritdoc/>
    public override int MaxBatch => Plan.Batch;

    /// <inheritdoc/>
    public override int MaxTime => Plan.Time;

    internal ArrayView<float> Projection { get; }
    internal ArrayView<float> InputNormalized { get; }
    internal ArrayView<float> RecurrentNormalized { get; }
    internal ArrayView<float> RecurrentGrad { get; }
    internal ArrayView<float> InverseStd { get; }
    internal ArrayView<float> States { get; }
    internal ArrayView<float> Vectors { get; }
    internal ArrayView<float> InputLayerNormGrad { get; }
    internal ArrayView<float> RecurrentLayerNormGrad { get; }
}
