using FastWeights.Kernels.LinearFastWeights;

namespace FastWeights.Tests.Kernels.LinearFastWeights;

/// <summary>Sizes and choices of the linear fast-weight memory, for the float64 reference.</summary>
public sealed record LinearReferenceConfig(int Batch, int Time, int Heads, int KeySize, int ValueSize,
    FeatureMap Map, UpdateRule Rule, bool Normalize, double Epsilon = 1e-5)
{
    /// <summary>d'.</summary>
    public int FeatureSize => Map.FeatureSize(KeySize);

    /// <summary>Whether z is part of the state (normalised sum rule).</summary>
    public bool KeepsZ => Rule == UpdateRule.Sum && Normalize;

    /// <summary>Whether the delta rule's β is an input.</summary>
    public bool HasBeta => Rule == UpdateRule.Delta;

    /// <summary>The kernel options with the same meaning.</summary>
    public LinearFastWeightOptions Options(FastWeights.Kernels.Core.SweepSchedule schedule, bool storeAll = false, bool compensated = true) => new()
    {
        Heads = Heads, KeySize = KeySize, ValueSize = ValueSize, FeatureMap = Map, Rule = Rule, Normalize = Normalize,
        Epsilon = Epsilon, Schedule = schedule, StoreAll = storeAll, CompensatedSums = compensated,
    };

    /// <summary>A seed derived from the fields only (a record's GetHashCode mixes in a per-process type hash).</summary>
    public int Seed => ((((Batch * 31 + Time) * 31 + Heads) * 31 + KeySize) * 31 + ValueSize) * 31 + (int)Map * 4 + (int)Rule * 2 + (Normalize ? 1 : 0);

    /// <inheritdoc/>
    public override string ToString() =>
        $"B{Batch}_T{Time}_H{Heads}_d{KeySize}_m{ValueSize}_{Map}_{Rule}{(Normalize ? "_norm" : "")}";
}

/// <summary>
/// A complete deterministic problem: inputs, initial state and the upstream gradients that define the objective
/// L = Σ dy·y + Σ dWT·WT + Σ dzT·zT. Flat row-major arrays with the layer's layouts. β, z0 and dzT are null when the
/// options do not use them; W0, z0, dWT, dzT are null when the case has no initial state or state gradients.
/// </summary>
public sealed class LinearReferenceCase
{
    public required LinearReferenceConfig Config { get; init; }
    public required double[] Q, K, V;
    public double[]? Beta, W0, Z0, DwT, DzT;
    public required double[] Dy;

    /// <summary>
    /// From System.Random(seed), every array always drawn in a fixed order: q, k ~ U(−1,1) (U(0.2,1) for the identity
    /// map with normalisation, whose sums must stay away from 0); v ~ U(−1,1); β ~ U(−2,2); W0 ~ U(−0.2,0.2);
    /// z0 ~ U(0.5,1) (z is a sum of non-negative features); dy, dWT, dzT ~ U(−1,1).
    /// </summary>
    public static LinearReferenceCase Random(LinearReferenceConfig cfg, int seed, bool withState = true, bool withStateGradients = true)
    {
        var rng = new System.Random(seed);
        double[] U(long n, double lo, double hi) => Uniform.Draw(rng, checked((int)n), lo, hi);
        long bth = (long)cfg.Batch * cfg.Time * cfg.Heads, bh = (long)cfg.Batch * cfg.Heads;
        double keyLow = cfg.Map == FeatureMap.Identity && cfg.Normalize ? 0.2 : -1.0;
        var q = U(bth * cfg.KeySize, keyLow, 1);
        var k = U(bth * cfg.KeySize, keyLow, 1);
        var v = U(bth * cfg.ValueSize, -1, 1);
        var beta = U(bth, -2, 2);
        var w0 = U(bh * cfg.ValueSize * cfg.FeatureSize, -0.2, 0.2);
        var z0 = U(bh * cfg.FeatureSize, 0.5, 1);
        var dy = U(bth * cfg.ValueSize, -1, 1);
        var dwT = U(bh * cfg.ValueSize * cfg.FeatureSize, -1, 1);
        var dzT = U(bh * cfg.FeatureSize, -1, 1);
        return new LinearReferenceCase
        {
            Config = cfg, Q = q, K = k, V = v, Dy = dy,
            Beta = cfg.HasBeta ? beta : null,
            W0 = withState ? w0 : null,
            Z0 = withState && cfg.KeepsZ ? z0 : null,
            DwT = withStateGradients ? dwT : null,
            DzT = withStateGradients && cfg.KeepsZ ? dzT : null,
        };
    }

    /// <summary>A shallow copy with the given arrays replaced (for finite differences).</summary>
    public LinearReferenceCase With(string name, double[] values) => new()
    {
        Config = Config,
        Q = name == "q" ? values : Q, K = name == "k" ? values : K, V = name == "v" ? values : V,
        Beta = name == "beta" ? values : Beta, W0 = name == "w0" ? values : W0, Z0 = name == "z0" ? values : Z0,
        Dy = Dy, DwT = DwT, DzT = DzT,
    };

    /// <summary>The differentiable inputs present in this case, by the layer's argument names.</summary>
    public IEnumerable<(string Name, double[] Values)> Inputs()
    {
        yield return ("q", Q);
        yield return ("k", K);
        yield return ("v", V);
        if (Beta is not null) yield return ("beta", Beta);
        if (W0 is not null) yield return ("w0", W0);
        if (Z0 is not null) yield return ("z0", Z0);
    }
}

/// <summary>Reference outputs: y [B,T,heads,m], WT [B,heads,m,d'], zT [B,heads,d'] (null without a normaliser).</summary>
public sealed record LinearReferenceOutputs(double[] Y, double[] WT, double[]? ZT);

/// <summary>Reference gradients by the layer's argument names (dbeta and dz0 null when unused).</summary>
public sealed record LinearReferenceGradients(double[] DQ, double[] DK, double[] DV, double[]? DBeta, double[] DW0, double[]? DZ0)
{
    /// <summary>The gradient of the named input.</summary>
    public double[] Of(string input) => input switch
    {
        "q" => DQ, "k" => DK, "v" => DV, "beta" => DBeta!, "w0" => DW0, "z0" => DZ0!,
        _ => throw new ArgumentOutOfRangeException(nameof(input), input, null),
    };
}
