namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// Workspace of <see cref="AttentionFormRnn"/>: the vector tape of the fused layer, a copy of A0 (the only
/// H×H buffer) and one [B,T,H] buffer for the gradients reaching earlier outer states through the
/// attention sums (docs/baselines.md §2). No A(t) is ever stored.
/// </summary>
public sealed class AttentionFormWorkspace : TapeWorkspace
{
    internal AttentionFormWorkspace(Accelerator accelerator, int maxBatch, int maxTime, int hidden, int innerSteps)
        : base(accelerator, maxBatch, maxTime, hidden, innerSteps, sink => new AttentionFormBuffers<ArrayView<float>>(maxBatch, maxTime, hidden, sink))
    {
    }

    /// <summary>The form's own buffers, after the vector tape (<see cref="TapeWorkspace.Tape"/>).</summary>
    internal AttentionFormBuffers<ArrayView<float>> Buffers => (AttentionFormBuffers<ArrayView<float>>)Form;

    /// <summary>Whether the last forward had an A0 (copied into InitialFastWeights).</summary>
    internal bool ForwardHadA0 { get; set; }
}

/// <summary>
/// The attention form's own buffers, after the vector tape, in allocation order (docs/baselines.md §2), each with its
/// float32 elements (<see cref="BufferSink{T}"/>).
/// </summary>
/// <typeparam name="T">A buffer's element count, or its device view.</typeparam>
/// <param name="b">B.</param>
/// <param name="t">T.</param>
/// <param name="h">H.</param>
/// <param name="sink">Takes each buffer in turn.</param>
internal sealed class AttentionFormBuffers<T>(long b, long t, long h, BufferSink<T> sink)
{
    internal T HistoryGrad { get; } = sink.Take(b * t * h);         // [B,T,H] gradient reaching h_τ through later steps' A(t)
    internal T InitialFastWeights { get; } = sink.Take(b * h * h);  // [B,H,H] the forward's A0 (valid when ForwardHadA0)
    internal T Vectors { get; } = sink.Take(b * 3 * h);             // [B,3,H]
    internal T LayerNormGrad { get; } = sink.Take(b * 2 * h);       // [B,2,H]
}
