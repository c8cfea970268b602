namespace FastWeights.Tests.Support;

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

    /// <summary>The relative L2 error of float32 results against a float64 reference.</summary>
    public static double RelativeL2(float[] actual, double[] expected) => RelativeL2(Array.ConvertAll(actual, v => (double)v), expected);

    /// <summary>
    /// Asserts (all at once) that every tensor is within its tolerance, in relative L2 of the reference; prints each error.
    /// </summary>
    public static void AssertAll(IEnumerable<(string Name, float[] Actual, double[] Expected, double Tolerance)> tensors)
    {
        Assert.Multiple(() =>
        {
            foreach (var (name, actual, expected, tol) in tensors)
            {
                double err = RelativeL2(actual, expected);
                TestContext.Out.WriteLine($"{name}: {err:E2}");
                Assert.That(err, Is.LessThanOrEqualTo(tol), $"{name}: relative L2 error {err:E2} > {tol:E0}");
            }
        });
    }
}
