using FastWeights.Kernels.FastWeightRnn;
using ILGPU.Runtime;

namespace FastWeights.Bench.Benchmarks;

/// <summary>
/// <see cref="FastWeightRnnLayer"/> as a benchmark variant. With <c>checkpointInterval: null</c> it is the
/// layer as shipped (K derived from λ: A rebuilt backwards between stored copies): the <c>Fused</c> variant.
/// With <c>checkpointInterval: 1</c> the forward stores A for every step and the backward reads it back,
/// which is what an autograd framework keeps: the <c>StoreAll</c> baseline, same kernels otherwise.
/// </summary>
internal sealed class FusedLayerVariant : ILayerVariant
{
    private readonly FastWeightRnnLayer layer;
    private readonly FastWeightRnnWorkspace workspace;
    private readonly BenchmarkTensors t;
    private readonly AcceleratorStream stream;

    public FusedLayerVariant(Accelerator accelerator, BenchmarkTensors tensors, int? checkpointInterval)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(tensors);
        t = tensors;
        stream = accelerator.DefaultStream;
        var s = tensors.Shape;
        layer = new FastWeightRnnLayer(accelerator, new FastWeightRnnOptions
        {
            InputSize = s.Input, HiddenSize = s.Hidden, InnerSteps = s.InnerSteps, Decay = s.Decay,
            CheckpointInterval = checkpointInterval,
            // The fused matrix kernels, always: under Auto the layer would run the attention form at short T on the
            // CPU accelerator, which is the AttentionForm variant's row.
            Form = FastWeightForm.Matrix,
        });
        try
        {
            workspace = layer.CreateWorkspace(s.Batch, s.Time);
        }
        catch
        {
            layer.Dispose();
            throw;
        }
    }

    /// <summary>K in effect.</summary>
    public int CheckpointInterval => layer.CheckpointInterval;

    public long WorkspaceBytes => workspace.AllocatedBytes;

    public void Forward() =>
        layer.Forward(stream, workspace, t.Y, t.HT, t.AT, t.X, default, default, t.Parameters, t.Shape.Batch, t.Shape.Time);

    public void Backward() =>
        layer.Backward(stream, workspace, t.Dx, default, default, t.Gradients, t.Dy, default, default, t.X, t.Parameters,
            t.Shape.Batch, t.Shape.Time);

    public void Dispose()
    {
        workspace.Dispose();
        layer.Dispose();
    }
}
