using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Kernels.LinearFastWeights;

/// <summary>
/// Sizes and choices of a linear-transformer fast-weight memory (Schlag, Irie and Schmidhuber 2021).
/// Immutable once a <see cref="LinearFastWeightLayer"/> is built from it. Formulas: docs/linear-fast-weights.md.
/// </summary>
public sealed record LinearFastWeightOptions
{
    /// <summary>Number of independent heads, each with its own memory W. Must be ≥ 1.</summary>
    public required int Heads { get; init; }

    /// <summary>d, the size of each key and query vector. Must be ≥ 1.</summary>
    public required int KeySize { get; init; }

    /// <summary>m, the size of each value and output vector (W is m × d'). Must be ≥ 1.</summary>
    public required int ValueSize { get; init; }

    /// <summary>φ, applied to keys and queries. Default <see cref="FeatureMap.Dpfp1"/>.</summary>
    public FeatureMap FeatureMap { get; init; } = FeatureMap.Dpfp1;

    /// <summary>The write rule. Default <see cref="UpdateRule.Delta"/>.</summary>
    public UpdateRule Rule { get; init; } = UpdateRule.Delta;

    /// <summary>
    /// Whether outputs are normalised as in the paper: for <see cref="UpdateRule.Sum"/>, y = W φ(q) / (zᵀφ(q) + ε)
    /// with z = z0 + Σ φ(k) carried as state; for <see cref="UpdateRule.Delta"/>, φ(k) and φ(q) are each divided
    /// by (Σ_i φ_i + ε) before use. Default true. With <see cref="FeatureMap.Identity"/> the sums can be zero or
    /// negative, so the combination is refused (<see cref="Validate"/>): normalisation needs a non-negative map.
    /// </summary>
    public bool Normalize { get; init; } = true;

    /// <summary>ε added to every normalising sum (keeps an all-zero DPFP feature vector finite). Finite, &gt; 0. Default 1e-5.</summary>
    public double Epsilon { get; init; } = 1e-5;

    /// <summary>The thread schedule; <see cref="SweepSchedule.Auto"/> picks from the accelerator.</summary>
    public SweepSchedule Schedule { get; init; } = SweepSchedule.Auto;

    /// <summary>
    /// When true, a forward first scans q, k, v, β, W0 and z0 (a backward: dy, dWT, dzT) for NaN/±Inf on the
    /// device and throws <see cref="ArgumentException"/> naming the offending argument. This waits for the
    /// stream once per call, so it is off by default.
    /// </summary>
    public bool CheckFinite { get; init; }

    /// <summary>
    /// The store-all baseline: the forward also stores W before every step and the backward reads it back
    /// instead of rebuilding W by subtraction. Same results up to rounding, O(B·heads·T·m·d') more memory;
    /// it exists for benchmarks and to measure the rebuild's rounding. Default false.
    /// </summary>
    public bool StoreAll { get; init; }

    /// <summary>
    /// Whether W and z are kept as compensated (Kahan) sums: each element carries, in a second workspace buffer, the
    /// rounding its float32 sum still owes, in the forward and in the backward's rebuild. Their error then stays about
    /// one rounding instead of growing like √T roundings, which matters where a gradient is a difference of nearly
    /// equal terms (the normalised sum rule's dq: 1.1e-4 relative at T = 4096 without, 1.3e-5 with). Costs 2·m·d'
    /// (+ 2·d') more floats per (sequence, head) and, measured on the CPU accelerator, up to 2× the forward (sum rule)
    /// and 1.06–1.2× the backward time (docs/benchmarks.md). WT and zT are returned rounded once to float32, so a sequence split into calls rounds where
    /// it is split. Default true; turn it off for speed at short T (docs/linear-fast-weights.md §4).
    /// </summary>
    public bool CompensatedSums { get; init; } = true;

    /// <summary>
    /// The most stored copies of W per (sequence, head) the backward may re-anchor its rebuild on. The forward measures
    /// every write and stores W before step t whenever rebuilding an earlier W from a later one would lose more than the
    /// bound of docs/linear-fast-weights.md §4 (writes that expand W: the delta rule with σ(β)|φ̃(k)|² &gt; 2, or writes
    /// that nearly cancel); this happens at most once per step, and costs nothing for a sequence whose W does not grow.
    /// The workspace holds min(MaxAnchors, T − 1) copies of m·d' floats per (sequence, head) for its largest T, sized
    /// before any launch (none with <see cref="StoreAll"/>). null (default): 16 + ⌈T/64⌉: room for W to grow by about 1e24
    /// (measured: 1.5 decades per anchor) plus one anchor per 64 steps (a normalised delta rule in steady state needed one
    /// per 85–370 steps at T = 4096).
    /// If a forward needed more, <see cref="LinearFastWeightLayer.Backward"/> throws <see cref="InvalidOperationException"/>
    /// saying how many, instead of returning gradients outside the bound. ≥ 0 when set.
    /// </summary>
    public int? MaxAnchors { get; init; }

    /// <summary>The anchor slots asked for at T steps: <see cref="MaxAnchors"/>, or 16 + ⌈T/64⌉ when it is null.</summary>
    /// <param name="time">T ≥ 1.</param>
    public int RequestedAnchors(int time) => MaxAnchors ?? 16 + (int)(((long)time + 63) / 64);

    /// <summary>Whether the sum-rule normaliser z is part of the state (z0, zT, dz0, dzT): <see cref="UpdateRule.Sum"/> with <see cref="Normalize"/>.</summary>
    public bool KeepsNormalizer => Rule == UpdateRule.Sum && Normalize;

    /// <summary>d' = <see cref="FeatureMaps.FeatureSize"/>(<see cref="FeatureMap"/>, <see cref="KeySize"/>).</summary>
    /// <remarks>A method, not a property, so that printing options with an invalid map does not throw.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">The map or the key size is invalid.</exception>
    public int FeatureSize() => FeatureMap.FeatureSize(KeySize);

    /// <summary>Checks every option; throws an exception naming the first invalid one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size, ε, <see cref="MaxAnchors"/> or an enum value is out of range, or m·d' does not fit 32 bits.</exception>
    /// <exception cref="ArgumentException"><see cref="Normalize"/> with <see cref="FeatureMap.Identity"/> (named <see cref="Normalize"/>).</exception>
    public void Validate()
    {
        OptionChecks.AtLeastOne(Heads, null);
        OptionChecks.AtLeastOne(KeySize, "d");
        OptionChecks.AtLeastOne(ValueSize, "m");
        OptionChecks.Known(FeatureMap, "feature map");
        OptionChecks.Known(Rule, "update rule");
        OptionChecks.Known(Schedule, "schedule");
        OptionChecks.PositiveFinite(Epsilon, "ε");
        if (MaxAnchors is < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxAnchors), MaxAnchors, "MaxAnchors must be ≥ 0.");
        // Normalising divides by Σφ + ε, which for the identity map (signed features) can be 0 or negative: the outputs
        // and gradients would blow up or flip sign without warning. Only the non-negative maps (ELU+1, DPFP) qualify.
        if (Normalize && FeatureMap == FeatureMap.Identity)
            throw new ArgumentException(
                "Normalize needs a non-negative feature map: with FeatureMap.Identity the normalising sum Σφ + ε can be 0 or negative. "
                + "Use EluPlusOne or a DPFP map, or set Normalize = false.", nameof(Normalize));
        OptionChecks.FitsIndex(KeySize > int.MaxValue / 8, KeySize, nameof(KeySize), "d' = 2νd");
        OptionChecks.FitsIndex((long)ValueSize * FeatureSize() > int.MaxValue / 4, ValueSize, nameof(ValueSize), "m·d'");
    }
}
