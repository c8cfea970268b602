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

    /// <summary>Records the sizes; the derived workspace allocates its buffers with <see cref="DeviceWorkspace.Allocate"/>.</summary>
    private protected TapeWorkspace(Accelerator accelerator, int maxBatch, int maxTime, int hidden, int innerSteps)
        : base(accelerator)
    {
        MaxBatch = maxBatch;
        MaxTime = maxTime;
        Hidden = hidden;
        InnerSteps = innerSteps;
    }

    /// <inheritdoc/>
    public override int MaxBatch { get; }

    /// <inheritdoc/>
    public override int MaxTime { get; }

    /// <summary>H of the layer that made it.</summary>
    public int Hidden { get; }

    /// <summary>S of the layer that made it.</summary>
    public int InnerSteps { get; }
}
