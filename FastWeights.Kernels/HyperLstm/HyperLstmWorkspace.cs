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
        try
        {
            long steps = (long)plan.Batch * plan.Time;
            MainProjection = Allocate(plan.MainProjectionElements);
            Recurrent = Allocate(plan.RecurrentElements);
            Scalings = Allocate(plan.ScalingElements);
            Normalized = Allocate(plan.NormalizedElements);
            CellNormalized = Allocate(plan.CellNormalizedElements);
            var inverseStd = Allocate(plan.InverseStdElements);
            InverseStd = inverseStd.SubView(0, steps * 4);
            CellInverseStd = inverseStd.SubView(steps * 4, steps);
            States = Allocate(plan.StatesElements);
            CellStates = Allocate(plan.StatesElements);
            HyperProjection = Allocate(plan.HyperProjectionElements);
            HyperNormalized = Allocate(plan.HyperNormalizedElements);
            HyperCellNormalized = Allocate(plan.HyperCellNormalizedElements);
            var hyperInverseStd = Allocate(plan.HyperInverseStdElements);
            HyperInverseStd = hyperInverseStd.SubView(0, steps * 4);
            HyperCellInverseStd = hyperInverseStd.SubView(steps * 4, steps);
            HyperStates = Allocate(plan.HyperStatesElements);
            HyperCellStates = Allocate(plan.HyperStatesElements);
            Embeddings = Allocate(plan.EmbeddingElements);
            EmbeddingGrad = Allocate(plan.EmbeddingElements);
            Vectors = Allocate(plan.VectorElements);
            MainGradient = Allocate(plan.MainGradientElements);
            var partials = Allocate(plan.LayerNormGradElements);
            long b = plan.Batch, h = plan.Hidden, n = plan.HyperHidden;
            LayerNormGrad = partials.SubView(0, b * 8 * h);
            CellLayerNormGrad = partials.SubView(b * 8 * h, b * 2 * h);
            HyperLayerNormGrad = partials.SubView(b * 10 * h, b * 8 * n);
            HyperCellLayerNormGrad = partials.SubView(b * 10 * h + b * 8 * n, b * 2 * n);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The sizes this workspace serves and what was allocated, element by element.</summary>
    public HyperLstmWorkspacePlan Plan { get; }

    /// <inheritdoc/>
    public override int MaxBatch => Plan.Batch;

    /// <inheritdoc/>
    public override int MaxTime => Plan.Time;

    internal ArrayView<float> MainProjection { get; }
    internal ArrayView<float> Recurrent { get; }
    internal ArrayView<float> Scalings { get; }
    internal ArrayView<float> Normalized { get; }
    internal ArrayView<float> CellNormalized { get; }
    internal ArrayView<float> InverseStd { get; }
    internal ArrayView<float> CellInverseStd { get; }
    internal ArrayView<float> States { get; }
    internal ArrayView<float> CellStates { get; }
    internal ArrayView<float> HyperProjection { get; }
    internal ArrayView<float> HyperNormalized { get; }
    internal ArrayView<float> HyperCellNormalized { get; }
    internal ArrayView<float> HyperInverseStd { get; }
    internal ArrayView<float> HyperCellInverseStd { get; }
    internal ArrayView<float> HyperStates { get; }
    internal ArrayView<float> HyperCellStates { get; }
    internal ArrayView<float> Embeddings { get; }
    internal ArrayView<float> EmbeddingGrad { get; }
    internal ArrayView<float> Vectors { get; }
    internal ArrayView<float> MainGradient { get; }
    internal ArrayView<float> LayerNormGrad { get; }
    internal ArrayView<float> CellLayerNormGrad { get; }
    internal ArrayView<float> HyperLayerNormGrad { get; }
    internal ArrayView<float> HyperCellLayerNormGrad { get; }

    // ForwardShape (DeviceWorkspace) is set by a forward and cleared by the backward that consumes the tape.
}
