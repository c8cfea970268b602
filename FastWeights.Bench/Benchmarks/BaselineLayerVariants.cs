using FastWeights.Kernels.Baselines;
using FastWeights.Kernels.Core;
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
        return Wrap(accelerator, t, layer, layer.CreateWorkspace,
            (stream, ws, B, T) => layer.Forward(stream, ws, t.Y, t.HT, t.AT, t.X, default, default, t.Parameters, B, T),
            (stream, ws, B, T) => layer.Backward(stream, ws, t.Dx, default, default, t.Gradients, t.Dy, default, default, t.X, t.Parameters, B, T));
    }

    /// <summary><see cref="AttentionFormRnn"/>: A never formed; A v = λᵗ A0 v + η Σ λ^(t−1−τ) h_τ (h_τ·v).</summary>
    public static ILayerVariant AttentionForm(Accelerator accelerator, BenchmarkTensors t)
    {
        var layer = new AttentionFormRnn(accelerator, Options(t.Shape));
        return Wrap(accelerator, t, layer, layer.CreateWorkspace,
            (stream, ws, B, T) => layer.Forward(stream, ws, t.Y, t.HT, t.AT, t.X, default, default, t.Parameters, B, T),
            (stream, ws, B, T) => layer.Backward(stream, ws, t.Dx, default, default, t.Gradients, t.Dy, default, default, t.X, t.Parameters, B, T));
    }

    /// <summary>One pass (forward or backward) of a baseline over (B, T) on the default stream.</summary>
    private delegate void Pass<in TWorkspace>(AcceleratorStream stream, TWorkspace workspace, int batch, int time);

    /// <summary>
    /// Creates the workspace for the tensors' (B, T) (disposing <paramref name="layer"/> if that fails) and wraps the
    /// two passes; disposal frees the workspace, then the layer.
    /// </summary>
    private static ILayerVariant Wrap<TWorkspace>(Accelerator accelerator, BenchmarkTensors t, IDisposable layer,
        Func<int, int, TWorkspace> createWorkspace, Pass<TWorkspace> forward, Pass<TWorkspace> backward)
        where TWorkspace : DeviceWorkspace
    {
        TWorkspace ws;
        try { ws = createWorkspace(t.Shape.Batch, t.Shape.Time); }
        catch { layer.Dispose(); throw; }
        var stream = accelerator.DefaultStream;
        int B = t.Shape.Batch, T = t.Shape.Time;
        return new BaselineLayerVariant(ws.AllocatedBytes,
            () => forward(stream, ws, B, T),
            () => backward(stream, ws, B, T),
            () => { ws.Dispose(); layer.Dispose(); });
    }
}
