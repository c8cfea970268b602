namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// The device memory of one training call of a layer form that keeps a tape instead of rebuilding A
/// (<see cref="AttentionFormRnn"/> or the per-step-launch baseline of FastWeights.Kernels.Baselines): what the
/// forward stores for the backward and the backward's own scratch. Sized for at most <see cref="MaxBatch"/> × <see cref="MaxTime"/>; create one with the
/// form's <c>CreateWorkspace</c>, reuse it across calls, dispose it when done. A workspace serves
/// one call at a time. The buffers of each form are listed in docs/baselines.md.
/// </summary>
public abstract class TapeWorkspace : DeviceWorkspace
{

    /// <summary>
    /// Records the sizes and allocates the vector tape both forms keep (<see cref="TapeBuffers{T}"/>), then the form's own
    /// list, which <paramref name="form"/> takes from the sink: the order <see cref="Elements"/> counts.
    /// </summary>
    private protected TapeWorkspace(Accelerator accelerator, int maxBatch, int maxTime, int hidden, int innerSteps,
        Func<BufferSink<ArrayView<float>>, object> form)
        : base(accelerator)
    {
        MaxBatch = maxBatch;
        MaxTime = maxTime;
        Hidden = hidden;
        InnerSteps = innerSteps;
        // A tuple's elements are evaluated left to right: the tape first, then the form's list.
        (Tape, Form) = AllocateBuffers(sink => (new TapeBuffers<ArrayView<float>>(maxBatch, maxTime, hidden, innerSteps, sink), form(sink)));
    }

    /// <summary>The vector tape, the first buffers of either form.</summary>
    internal TapeBuffers<ArrayView<float>> Tape { get; }

    /// <summary>The form's own buffers, after the vector tape: what the derived workspace's <c>form</c> built.</summary>
    private protected object Form { get; }

    /// <summary>
    /// Float32 elements of a workspace for (B, T, H, S): the vector tape, then the form's own list (<paramref name="form"/>
    /// takes it from the sink), in the order a workspace allocates them.
    /// </summary>
    internal static long Elements(int batch, int time, int hidden, int innerSteps, Action<BufferSink<long>> form) =>
        BufferSizes.TotalOf(sizes =>
        {
            _ = new TapeBuffers<long>(batch, time, hidden, innerSteps, sizes);
            form(sizes);
        });

    /// <inheritdoc/>
    public override int MaxBatch { get; }

    /// <inheritdoc/>
    public override int MaxTime { get; }

    /// <summary>H of the layer that made it.</summary>
    public int Hidden { get; }

    /// <summary>S of the layer that made it.</summary>
    public int InnerSteps { get; }
}

/// <summary>
/// The vector tape both tape-keeping forms keep, in allocation order, each buffer with its float32 elements: counted
/// (T = long) or allocated (T = ArrayView&lt;float&gt;) through <see cref="BufferSink{T}"/>.
/// </summary>
/// <typeparam name="T">A buffer's element count, or its device view.</typeparam>
/// <param name="b">B.</param>
/// <param name="t">T.</param>
/// <param name="h">H.</param>
/// <param name="s">S.</param>
/// <param name="sink">Takes each buffer in turn.</param>
internal sealed class TapeBuffers<T>(long b, long t, long h, long s, BufferSink<T> sink)
{
    internal T Projection { get; } = sink.Take(b * t * h);      // [B,T,H] u, then dz
    internal T States { get; } = sink.Take(b * (t + 1) * h);     // [B,T+1,H]
    internal T InnerStates { get; } = sink.Take(b * t * s * h);  // [B,T,S,H]
    internal T Normalized { get; } = sink.Take(b * t * s * h);   // [B,T,S,H] (the per-step baseline: v, then x̂ in place)
    internal T InverseStd { get; } = sink.Take(b * t * s);       // [B,T,S]
}
