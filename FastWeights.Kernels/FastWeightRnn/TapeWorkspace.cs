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
    /// Records the sizes and allocates the vector tape both forms keep, <paramref name="elements"/>[0..4]; the derived
    /// workspace allocates the rest of its list, in order, with <see cref="DeviceWorkspace.Allocate"/>.
    /// </summary>
    private protected TapeWorkspace(Accelerator accelerator, int maxBatch, int maxTime, int hidden, int innerSteps, long[] elements)
        : base(accelerator)
    {
        MaxBatch = maxBatch;
        MaxTime = maxTime;
        Hidden = hidden;
        InnerSteps = innerSteps;
        Elements = elements;
        try
        {
            Projection = Allocate(elements[0]);
            States = Allocate(elements[1]);
            InnerStates = Allocate(elements[2]);
            Normalized = Allocate(elements[3]);
            InverseStd = Allocate(elements[4]);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The form's buffer sizes in allocation order (the form's <c>Elements</c>).</summary>
    private protected long[] Elements { get; }

    internal ArrayView<float> Projection { get; }     // [B,T,H] u, then dz
    internal ArrayView<float> States { get; }         // [B,T+1,H]
    internal ArrayView<float> InnerStates { get; }    // [B,T,S,H]
    internal ArrayView<float> Normalized { get; }     // [B,T,S,H] (the per-step baseline: v, then x̂ in place)
    internal ArrayView<float> InverseStd { get; }     // [B,T,S]

    /// <inheritdoc/>
    public override int MaxBatch { get; }

    /// <inheritdoc/>
    public override int MaxTime { get; }

    /// <summary>H of the layer that made it.</summary>
    public int Hidden { get; }

    /// <summary>S of the layer that made it.</summary>
    public int InnerSteps { get; }
}
