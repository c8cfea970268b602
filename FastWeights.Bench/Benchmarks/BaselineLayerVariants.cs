using FastWeights.Kernels.Baselines;
using FastWeights.Kernels.FastWeightRnn;
using ILGPU.Runtime;

namespace FastWeights.Bench.Benchmarks;

/// <summary>
/// A baseline from FastWeights.Kernels/Baselines as a benchmark variant. The baselines share the fused layer's
/// Forward/Backward shape but no interface, so each is wrapped by the two calls and the disposal it needs.
/// </summary>
internal sealed class BaselineLayerVariant : ILayerVariant
{
    private readonly Action forward, backward, dispose;

    private BaselineLayerVariant(long workspaceBytes, Action forward, Action backward, Action dispose)
    {
        WorkspaceBytes = workspaceBytes;
        this.forward = forward;
        this.backward = backward;
        this.dispose = dispose;
    }

    public long WorkspaceBytes { get; }
    public void Forward() => forward();
    public void Backward() => backward();
    public void Dispose() => dispose();

    private static FastWeightRnnOptions Options(LayerShape s) => new()
    {
        InputSize = s.Input, HiddenSize = s.Hidden, InnerSteps = s.InnerSteps, Decay = s.Decay,
    };

    /// <summary><see cref="PerStepLaunchRnn"/>: one launch per time step and inner step, A stored for every step.</summary>
    public static ILayerVariant PerStepLaunch(Accelerator accelerator, BenchmarkTensors t)
    {
        var layer = new PerStepLaunchRnn(accelerator, Options(t.Shape));
        PerStepLaunchWorkspace ws;
        try { ws = layer.CreateWorkspace(t.Shape.Batch, t.Shape.Time); }
        catch { layer.Dispose(); throw; }
        var stream = accelerator.DefaultStream;
        int B = t.Shape.Batch, T = t.Shape.Time;
        return new BaselineLayerVariant(ws.AllocatedBytes,
            () => layer.Forward(stream, ws, t.Y, t.HT, t.AT, t.X, default, default, t.Parameters, B, T),
            () => layer.Backward(stream, ws, t.Dx, default, default, t.Gradients, t.Dy, default, default, t.X, t.Parameters, B, T),
            () => { ws.Dispose(); layer.Dispose(); });
    }

    /// <summary><see cref="AttentionFormRnn"/>: A never formed; A v = λᵗ A0 v + η Σ λ^(t−1−τ) h_τ (h_τ·v).</summary>
    public static ILayerVariant AttentionForm(Accelerator accelerator, BenchmarkTensors t)
    {
        var layer = new AttentionFormRnn(accelerator, Options(t.Shape));
        AttentionFormWorkspace ws;
        try { ws = layer.CreateWorkspace(t.Shape.Batch, t.Shape.Time); }
        catch { layer.Dispose(); throw; }
        var stream = accelerator.DefaultStream;
        int B = t.Shape.Batch, T = t.Shape.Time;
        return new BaselineLayerVariant(ws.AllocatedBytes,
            () => layer.Forward(stream, ws, t.Y, t.HT, t.AT, t.X, default, default, t.Parameters, B, T),
            () => layer.Backward(stream, ws, t.Dx, default, default, t.Gradients, t.Dy, default, default, t.X, t.Parameters, B, T),
            () => { ws.Dispose(); layer.Dispose(); });
    }
}
