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
        long sequences = (long)batch * Heads;
        long matrix = sequences * ValueSize * FeatureSize;
        long vector = options.KeepsNormalizer ? sequences * FeatureSize : 1;
        StateElements = matrix;
        NormalizerElements = vector;
        CompensationElements = options.CompensatedSums ? matrix : 1;
        NormalizerCompensationElements = options.CompensatedSums ? vector : 1;
        TapeElements = options.Rule == UpdateRule.Delta ? sequences * time * ValueSize : 1;
        OutputElements = options.KeepsNormalizer ? sequences * time * ValueSize : 1;
        DenominatorElements = options.KeepsNormalizer ? sequences * time : 1;
        HistoryElements = options.StoreAll ? matrix * time : 1;
        VectorElements = sequences * LinearForwardSweep.VectorFloats(FeatureSize, ValueSize);
        CountElements = sequences * FeatureSize;
        // Step 0's W is the input W0 itself, so at most T − 1 steps ever need a stored copy; store-all stores them all.
        AnchorSlots = options.StoreAll ? 0 : Math.Min(options.RequestedAnchors(time), Math.Max(time - 1, 0));
        AnchorElements = AnchorSlots > 0 ? matrix * AnchorSlots : 1;
        AnchorStepElements = AnchorSlots > 0 ? sequences * AnchorSlots : 1;
        StatusElements = sequences * 2;
    }

    /// <summary>Stored copies of W per (sequence, head) the rebuild can re-anchor on: min(MaxAnchors, T − 1), 0 with store-all.</summary>
    public int AnchorSlots { get; }

    /// <summary>Elements of the anchor copies of W: B·heads·slots·m·d' (1 without slots).</summary>
    public long AnchorElements { get; }

    /// <summary>Elements of the anchors' step indices: B·heads·slots (1 without slots).</summary>
    public long AnchorStepElements { get; }

    /// <summary>Elements of the forward's per-(sequence, head) status: anchors needed and whether W or y overflowed (2·B·heads).</summary>
    public long StatusElements { get; }

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

    /// <summary>Elements of each of the two compensation terms of W (W_T's and the rebuilt W's): B·heads·m·d' with
    /// <see cref="LinearFastWeightOptions.CompensatedSums"/>, else 1.</summary>
    public long CompensationElements { get; }

    /// <summary>Elements of each of the two compensation terms of z: as <see cref="NormalizerElements"/> with
    /// <see cref="LinearFastWeightOptions.CompensatedSums"/>, else 1.</summary>
    public long NormalizerCompensationElements { get; }

    /// <summary>Elements of the v̄ tape: B·T·heads·m (1 for the sum rule, which stores nothing per step).</summary>
    public long TapeElements { get; }

    /// <summary>Elements of the y tape: B·T·heads·m (normalised sum rule only, else 1).</summary>
    public long OutputElements { get; }

    /// <summary>Elements of the denominator tape: B·T·heads (normalised sum rule only, else 1).</summary>
    public long DenominatorElements { get; }

    /// <summary>Elements of the store-all history: B·heads·T·m·d' (1 unless store-all).</summary>
    public long HistoryElements { get; }

    /// <summary>Elements of the thread-schedule scratch vectors: B·heads·(4d' + 3m).</summary>
    public long VectorElements { get; }

    /// <summary>Elements of the backward's per-column counts of non-zero key features: B·heads·d'.</summary>
    public long CountElements { get; }

    /// <summary>Total bytes (float32) of all buffers.</summary>
    public long TotalBytes => 4L * (3 * StateElements + 3 * NormalizerElements + 2 * CompensationElements + 2 * NormalizerCompensationElements + TapeElements + OutputElements + DenominatorElements + HistoryElements + VectorElements + CountElements + AnchorElements + AnchorStepElements + StatusElements);
}
