namespace FastWeights.Kernels.LinearFastWeights;

/// <summary>
/// Element counts of every buffer of a <see cref="LinearFastWeightWorkspace"/> for (B, T) and a set of options.
/// Per (sequence, head): W_T, the rebuilt W and G = dL/dW (3·m·d'), z_T, rebuilt z and g_z (3·d', normalised sum
/// rule only), with <see cref="LinearFastWeightOptions.CompensatedSums"/> the compensation terms of W_T and the rebuilt W
/// (2·m·d') and of z_T and the rebuilt z (2·d'), scratch vectors (4d' + 3m), column counts (d'); per step: v̄ (m, delta rule), or y and zᵀφ(q) + ε (m + 1, normalised sum
/// rule); the rebuild's anchors min(MaxAnchors, T − 1) stored copies of W (slots·m·d') with their steps (slots) and a status
/// (2); the store-all baseline adds W before every step (T·m·d') and has no anchors. So
/// O(B·heads·(slots + 5)·m·d') + O(B·T·heads·(m + 1)) without store-all. Unused buffers get one element
/// (ILGPU refuses empty buffers on some back ends).
/// </summary>
public sealed record LinearWorkspacePlan
{
    /// <summary>Builds the plan; sizes are assumed validated.</summary>
    /// <param name="batch">B.</param>
    /// <param name="time">T.</param>
    /// <param name="options">The layer's options.</param>
    public LinearWorkspacePlan(int batch, int time, LinearFastWeightOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Batch = batch;
        Time = time;
        Heads = options.Heads;
        ValueSize = options.ValueSize;
        FeatureSize = options.FeatureSize();
        Options = options;
        Sequences = (long)batch * Heads;
        StateElements = Sequences * ValueSize * FeatureSize;
        NormalizerElements = options.KeepsNormalizer ? Sequences * FeatureSize : 1;
        // Step 0's W is the input W0 itself, so at most T − 1 steps ever need a stored copy; store-all stores them all.
        AnchorSlots = options.StoreAll ? 0 : Math.Min(options.RequestedAnchors(time), Math.Max(time - 1, 0));
    }

    /// <summary>Stored copies of W per (sequence, head) the rebuild can re-anchor on: min(MaxAnchors, T − 1), 0 with store-all.</summary>
    public int AnchorSlots { get; }

    /// <summary>Elements of the anchor copies of W: B·heads·slots·m·d' (1 without slots).</summary>
    public long AnchorElements => Elements.Anchors;

    /// <summary>Elements of the anchors' step indices: B·heads·slots (1 without slots).</summary>
    public long AnchorStepElements => Elements.AnchorSteps;

    /// <summary>B.</summary>
    public int Batch { get; }

    /// <summary>T.</summary>
    public int Time { get; }

    /// <summary>Heads.</summary>
    public int Heads { get; }

    /// <summary>m.</summary>
    public int ValueSize { get; }

    /// <summary>d'.</summary>
    public int FeatureSize { get; }

    /// <summary>Elements of each of W_T, the rebuilt W and G: B·heads·m·d'.</summary>
    public long StateElements { get; }

    /// <summary>Elements of each of z_T, the rebuilt z and g_z: B·heads·d' (1 when there is no normaliser state).</summary>
    public long NormalizerElements { get; }

    /// <summary>Total bytes (float32) of all buffers.</summary>
    public long TotalBytes => BufferSizes.TotalOf(sizes => _ = new LinearBuffers<long>(this, sizes)) * sizeof(float);

    /// <summary>The options the sizes follow.</summary>
    internal LinearFastWeightOptions Options { get; }

    /// <summary>B·heads: the (sequence, head) pairs.</summary>
    internal long Sequences { get; }

    /// <summary>Every buffer's float32 elements, in allocation order.</summary>
    internal LinearBuffers<long> Elements => new(this, new BufferSizes());
}

/// <summary>
/// The buffers of a <see cref="LinearFastWeightWorkspace"/>, in allocation order, each with its size in float32
/// elements: the one list both <see cref="LinearWorkspacePlan.TotalBytes"/> counts (T = long) and the workspace allocates
/// (T = ArrayView&lt;float&gt;; <see cref="BufferSink{T}"/>). Unused buffers get one element.
/// </summary>
/// <typeparam name="T">A buffer's element count, or its device view.</typeparam>
/// <param name="plan">The sizes.</param>
/// <param name="sink">Takes each buffer in turn.</param>
internal sealed class LinearBuffers<T>(LinearWorkspacePlan plan, BufferSink<T> sink)
{
    /// <summary>W_T, the rebuilt W and G = dL/dW: B·heads·m·d' each.</summary>
    internal T FinalW { get; } = sink.Take(plan.StateElements);

    /// <inheritdoc cref="FinalW"/>
    internal T Rebuild { get; } = sink.Take(plan.StateElements);

    /// <inheritdoc cref="FinalW"/>
    internal T Grad { get; } = sink.Take(plan.StateElements);

    /// <summary>The compensation terms of W_T and the rebuilt W: B·heads·m·d' each with
    /// <see cref="LinearFastWeightOptions.CompensatedSums"/>, else 1.</summary>
    internal T FinalWLoss { get; } = sink.Take(plan.Options.CompensatedSums ? plan.StateElements : 1);

    /// <inheritdoc cref="FinalWLoss"/>
    internal T RebuildLoss { get; } = sink.Take(plan.Options.CompensatedSums ? plan.StateElements : 1);

    /// <summary>z_T and the rebuilt z (and <see cref="GradZ"/>): B·heads·d' each (1 when there is no normaliser state).</summary>
    internal T FinalZ { get; } = sink.Take(plan.NormalizerElements);

    /// <inheritdoc cref="FinalZ"/>
    internal T RebuildZ { get; } = sink.Take(plan.NormalizerElements);

    /// <summary>The compensation terms of z_T and the rebuilt z: as <see cref="FinalZ"/> with
    /// <see cref="LinearFastWeightOptions.CompensatedSums"/>, else 1.</summary>
    internal T FinalZLoss { get; } = sink.Take(plan.Options.CompensatedSums ? plan.NormalizerElements : 1);

    /// <inheritdoc cref="FinalZLoss"/>
    internal T RebuildZLoss { get; } = sink.Take(plan.Options.CompensatedSums ? plan.NormalizerElements : 1);

    /// <summary>g_z: as <see cref="FinalZ"/>.</summary>
    internal T GradZ { get; } = sink.Take(plan.NormalizerElements);

    /// <summary>The v̄ tape: B·T·heads·m (1 for the sum rule, which stores nothing per step).</summary>
    internal T VBar { get; } = sink.Take(plan.Options.Rule == UpdateRule.Delta ? plan.Sequences * plan.Time * plan.ValueSize : 1);

    /// <summary>The y tape: B·T·heads·m (normalised sum rule only, else 1).</summary>
    internal T Outputs { get; } = sink.Take(plan.Options.KeepsNormalizer ? plan.Sequences * plan.Time * plan.ValueSize : 1);

    /// <summary>The denominator tape: B·T·heads (normalised sum rule only, else 1).</summary>
    internal T Den { get; } = sink.Take(plan.Options.KeepsNormalizer ? plan.Sequences * plan.Time : 1);

    /// <summary>The store-all history: B·heads·T·m·d' (1 unless store-all).</summary>
    internal T History { get; } = sink.Take(plan.Options.StoreAll ? plan.StateElements * plan.Time : 1);

    /// <summary>The thread-schedule scratch vectors: B·heads·(4d' + 3m).</summary>
    internal T Vectors { get; } = sink.Take(plan.Sequences * LinearForwardSweep.VectorFloats(plan.FeatureSize, plan.ValueSize));

    /// <summary>The backward's per-column counts of non-zero key features: B·heads·d'.</summary>
    internal T Counts { get; } = sink.Take(plan.Sequences * plan.FeatureSize);

    /// <summary>The anchor copies of W: B·heads·slots·m·d' (1 without slots).</summary>
    internal T Anchors { get; } = sink.Take(plan.AnchorSlots > 0 ? plan.StateElements * plan.AnchorSlots : 1);

    /// <summary>The anchors' step indices: B·heads·slots (1 without slots).</summary>
    internal T AnchorSteps { get; } = sink.Take(plan.AnchorSlots > 0 ? plan.Sequences * plan.AnchorSlots : 1);

    /// <summary>The forward's per-(sequence, head) status: anchors needed and whether W or y overflowed (2·B·heads).</summary>
    internal T Status { get; } = sink.Take(plan.Sequences * 2);
}
