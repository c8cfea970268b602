namespace FastWeights.Tests.Reference;

/// <summary>Error measures used to compare results against the reference.</summary>
public static class Tolerance
{
    /// <summary>||actual − expected||₂ / max(||expected||₂, 1e-30).</summary>
    public static double RelativeL2(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected)
    {
        if (actual.Length != expected.Length)
            throw new ArgumentException($"length mismatch: {actual.Length} vs {expected.Length}");
        double diff = 0.0, norm = 0.0;
        for (int k = 0; k < expected.Length; k++)
        {
            double d = actual[k] - expected[k];
            diff += d * d;
            norm += expected[k] * expected[k];
        }
        return Math.Sqrt(diff) / Math.Max(Math.Sqrt(norm), 1e-30);
    }
}
