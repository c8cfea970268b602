using FastWeights.Kernels.Baselines;
using FastWeights.Kernels.FastWeightRnn;
using ILGPU.Runtime;

namespace FastWeights.Bench.Benchmarks;

/// <summary>
/// <see cref="PerStepLaunchRnn"/> as a benchmark variant: one kernel launch per time step and inner step,
/// A stored for every step (how a framework without fusion runs the layer).
/// </summary>
internal sealed class PerStepLaunchVariant : ILayerVariant
{
    private readonly PerStepLaunchRnn layer;
    private readonly PerStepLaunchWorkspace workspace;
    private readonly BenchmarkTensors t;
    private readonly AcceleratorStream stream;

    public PerStepLaunchVariant(Accelerator accelerator, BenchmarkTensors tensors)
    {
        t = tensors;
        stream = accelerator.DefaultStream;
        layer = new PerStepLaunchRnn(accelerator, Options(tensors.Shape));
        try { workspace = layer.CreateWorkspace(tensors.Shape.Batch, tensors.Shape.Time); }
        catch { layer.Dispose(); throw; }
    }

    internal static FastWeightRnnOptions Options(LayerShape s) => new()
    {
        InputSize = s.Input, HiddenSize = s.Hidden, InnerSteps = s.InnerSteps, Decay = s.Decay,
    };

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

/// <summary>
/// <see cref="AttentionFormRnn"/> as a benchmark variant: A never formed; A v = λᵗ A0 v + η Σ λ^(t−1−τ) h_τ (h_τ·v).
/// </summary>
internal sealed class AttentionFormVariant : ILayerVariant
{
    private readonly AttentionFormRnn layer;
    private readonly AttentionFormWorkspace workspace;
    private readonly BenchmarkTensors t;
    private readonly AcceleratorStream stream;

    public AttentionFormVariant(Accelerator accelerator, BenchmarkTensors tensors)
    {
        t = tensors;
        stream = accelerator.DefaultStream;
        layer = new AttentionFormRnn(accelerator, PerStepLaunchVariant.Options(tensors.Shape));
        try { workspace = layer.CreateWorkspace(tensors.Shape.Batch, tensors.Shape.Time); }
        catch { layer.Dispose(); throw; }
    }

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
