namespace FastWeights.Kernels.LinearFastWeights;

/// <summary>
/// The device memory of one training call of a <see cref="LinearFastWeightLayer"/>: what the forward keeps for the
/// backward (W_T, z_T, the v̄ or y/denominator tape, the rebuild's anchor copies of W and the forward's status, and with store-all W before every step) and the backward's own state (W and z
/// rebuilt, G and g_z). Sized for at most <see cref="MaxBatch"/> × <see cref="MaxTime"/>; create one with
/// <see cref="LinearFastWeightLayer.CreateWorkspace"/>, reuse it, dispose it.
/// </summary>
/// <remarks>
/// Memory contract: a forward overwrites W_T, z_T, the tape, the history and the scratch vectors; a backward only
/// reads them and overwrites its own buffers (rebuilt W and z, G, g_z, column counts, scratch), so it may be repeated for another dy.
/// A workspace serves one call at a time: two streams must not share one.
/// </remarks>
public sealed class LinearFastWeightWorkspace : DeviceWorkspace
{

    internal LinearFastWeightWorkspace(Accelerator accelerator, LinearWorkspacePlan plan, LinearFastWeightOptions options)
        : base(accelerator)
    {
        Plan = plan;
        Options = options;
        Buffers = AllocateBuffers(sink => new LinearBuffers<ArrayView<float>>(plan, sink));
    }

    /// <summary>What was allocated, element by element.</summary>
    public LinearWorkspacePlan Plan { get; }

    /// <inheritdoc/>
    public override int MaxBatch => Plan.Batch;

    /// <inheritdoc/>
    public override int MaxTime => Plan.Time;

    /// <summary>
    /// How many anchors (stored copies of W, docs/linear-fast-weights.md §4) the last forward's rebuild needs, per
    /// (sequence, head) [B·heads], for sizing <see cref="LinearFastWeightOptions.MaxAnchors"/>: a value above
    /// <see cref="LinearWorkspacePlan.AnchorSlots"/> makes the backward throw. Waits for <paramref name="stream"/>.
    /// </summary>
    /// <param name="stream">A stream of the workspace's accelerator; the forward must have been enqueued on it.</param>
    /// <exception cref="InvalidOperationException">No forward has run with this workspace.</exception>
    public int[] ReadAnchorsNeeded(AcceleratorStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (ForwardShape is not { } shape)
            throw new InvalidOperationException("No forward has run with this workspace.");
        var status = new float[2L * shape.Batch * Options.Heads];
        Buffers.Status.SubView(0, status.Length).CopyToCPU(stream, status);
        stream.Synchronize();
        var needed = new int[status.Length / 2];
        for (int n = 0; n < needed.Length; n++)
            needed[n] = (int)status[2 * n];
        return needed;
    }

    /// <summary>The options of the layer that created it (a layer with other options must not use it).</summary>
    internal LinearFastWeightOptions Options { get; }

    /// <summary>The buffers, <see cref="Plan"/>'s list.</summary>
    internal LinearBuffers<ArrayView<float>> Buffers { get; }
}
