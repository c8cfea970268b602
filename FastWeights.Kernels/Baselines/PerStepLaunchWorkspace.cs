using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Kernels.Baselines;

/// <summary>
/// Workspace of <see cref="PerStepLaunchRnn"/>: the tape of the fused layer plus A stored after every
/// step, as an autograd framework keeps it (docs/baselines.md §1).
/// </summary>
public sealed class PerStepLaunchWorkspace : TapeWorkspace
{
    internal PerStepLaunchWorkspace(Accelerator accelerator, int maxBatch, int maxTime, int hidden, int innerSteps)
        : base(accelerator, maxBatch, maxTime, hidden, innerSteps, sink => new PerStepLaunchBuffers<ArrayView<float>>(maxBatch, maxTime, hidden, sink))
    {
    }

    /// <summary>The baseline's own buffers, after the vector tape (<see cref="TapeWorkspace.Tape"/>).</summary>
    internal PerStepLaunchBuffers<ArrayView<float>> Buffers => (PerStepLaunchBuffers<ArrayView<float>>)Form;
}

/// <summary>
/// The per-step-launch baseline's own buffers, after the vector tape, in allocation order (docs/baselines.md §1), each
/// with its float32 elements (<see cref="BufferSink{T}"/>).
/// </summary>
/// <typeparam name="T">A buffer's element count, or its device view.</typeparam>
/// <param name="b">B.</param>
/// <param name="t">T.</param>
/// <param name="h">H.</param>
/// <param name="sink">Takes each buffer in turn.</param>
internal sealed class PerStepLaunchBuffers<T>(long b, long t, long h, BufferSink<T> sink)
{
    internal T FastWeights { get; } = sink.Take(b * (t + 1) * h * h);  // [B,T+1,H,H] A(0) … A(T)
    internal T Preactivation { get; } = sink.Take(b * h);              // [B,H] z of the current step
    internal T FastWeightGrad { get; } = sink.Take(b * h * h);         // [B,H,H] Ā
    internal T Vectors { get; } = sink.Take(b * 2 * h);                // [B,2,H] dh, dv
    internal T LayerNormGrad { get; } = sink.Take(b * 2 * h);          // [B,2,H]
}
