using FastWeights.Kernels.LinearFastWeights;

namespace FastWeights.Bench.Capacity;

/// <summary>What <see cref="CapacityExperiment"/> measures: key size d, value size m, the pair counts n, the DPFP maps.</summary>
internal sealed record CapacitySettings
{
    /// <summary>d, the raw key size (φ has d' = 2νd features).</summary>
    public int KeySize { get; init; } = 8;

    /// <summary>m, the value size.</summary>
    public int ValueSize { get; init; } = 16;

    /// <summary>The numbers of pairs n written into one memory, ascending.</summary>
    public IReadOnlyList<int> PairCounts { get; init; } = [1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192];

    /// <summary>Independent memories (random pair sets) per point, run as one batch.</summary>
    public int Trials { get; init; } = 32;

    /// <summary>The feature maps; DPFP only (see <see cref="CapacityExperiment"/>).</summary>
    public IReadOnlyList<FeatureMap> Maps { get; init; } = [FeatureMap.Dpfp1, FeatureMap.Dpfp2, FeatureMap.Dpfp3];

    /// <summary>Seed of keys and values.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The delta rule's β logit for writes: σ(30) rounds to 1 in float32, a full write.</summary>
    public const float WriteLogit = 30f;

    /// <summary>Checks every field; throws an exception naming the command-line option.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range or a map is not DPFP.</exception>
    public void Validate()
    {
        if (KeySize < 2) throw new ArgumentOutOfRangeException("--key-size", KeySize, "--key-size must be ≥ 2.");
        if (ValueSize < 2) throw new ArgumentOutOfRangeException("--value-size", ValueSize, "--value-size must be ≥ 2 (nearest-value retrieval needs directions).");
        if (Trials < 1) throw new ArgumentOutOfRangeException("--trials", Trials, "--trials must be ≥ 1.");
        if (PairCounts.Count == 0 || PairCounts.Any(n => n < 1 || n > 100_000))
            throw new ArgumentOutOfRangeException("--pairs", string.Join(",", PairCounts), "--pairs must list counts in 1..100000.");
        if (Maps.Count == 0 || Maps.Any(m => m.DpfpOrder() == 0))
            throw new ArgumentOutOfRangeException("--maps", string.Join(",", Maps), "--maps must list DPFP maps (dpfp1, dpfp2, dpfp3): only their φ scales so that |φ(k)| = 1.");
    }
}
