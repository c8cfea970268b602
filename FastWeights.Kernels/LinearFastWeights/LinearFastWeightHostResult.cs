namespace FastWeights.Kernels.LinearFastWeights;

/// <summary>Results of <see cref="LinearFastWeightHost.Run"/>; gradients are null when no dy was given, ZT/DZ0/DBeta when unused.</summary>
public sealed class LinearFastWeightHostResult
{
    /// <summary>y [B,T,heads,m].</summary>
    public required float[] Y { get; init; }
    /// <summary>WT [B,heads,m,d'].</summary>
    public required float[] WT { get; init; }
    /// <summary>zT [B,heads,d'] (normalised sum rule only).</summary>
    public float[]? ZT { get; init; }
    /// <summary>dq [B,T,heads,d].</summary>
    public float[]? DQ { get; init; }
    /// <summary>dk [B,T,heads,d].</summary>
    public float[]? DK { get; init; }
    /// <summary>dv [B,T,heads,m].</summary>
    public float[]? DV { get; init; }
    /// <summary>dβ [B,T,heads] (delta rule only).</summary>
    public float[]? DBeta { get; init; }
    /// <summary>dW0 [B,heads,m,d'].</summary>
    public float[]? DW0 { get; init; }
    /// <summary>dz0 [B,heads,d'] (normalised sum rule only).</summary>
    public float[]? DZ0 { get; init; }
    /// <summary>The most anchors (stored copies of W) the rebuild of any (sequence, head) needed (docs/linear-fast-weights.md §4).</summary>
    public int AnchorsNeeded { get; init; }
}
