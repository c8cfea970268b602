namespace FastWeights.Kernels.LinearFastWeights;

/// <summary>Host arrays for one call of <see cref="LinearFastWeightHost.Run"/>; shapes as in <see cref="LinearFastWeightLayer"/>.</summary>
public sealed class LinearFastWeightHostInputs
{
    /// <summary>B ≥ 1.</summary>
    public required int Batch { get; init; }
    /// <summary>T ≥ 1.</summary>
    public required int Time { get; init; }
    /// <summary>q [B,T,heads,d].</summary>
    public required float[] Q { get; init; }
    /// <summary>k [B,T,heads,d].</summary>
    public required float[] K { get; init; }
    /// <summary>v [B,T,heads,m].</summary>
    public required float[] V { get; init; }
    /// <summary>β logits [B,T,heads]; delta rule only (null for the sum rule).</summary>
    public float[]? Beta { get; init; }
    /// <summary>W0 [B,heads,m,d'], or null for zeros.</summary>
    public float[]? W0 { get; init; }
    /// <summary>z0 [B,heads,d'], or null for zeros (normalised sum rule only).</summary>
    public float[]? Z0 { get; init; }
    /// <summary>dL/dy [B,T,heads,m]; when null only the forward runs.</summary>
    public float[]? Dy { get; init; }
    /// <summary>dL/dWT, or null for zeros.</summary>
    public float[]? DwT { get; init; }
    /// <summary>dL/dzT, or null for zeros (normalised sum rule only).</summary>
    public float[]? DzT { get; init; }
}
