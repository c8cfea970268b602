namespace FastWeights.Tests.Support;

/// <summary>Uniform random test data in float64.</summary>
public static class Uniform
{
    /// <summary><paramref name="n"/> draws lo + (hi − lo)·u, u from <paramref name="rng"/>, in order.</summary>
    public static double[] Draw(Random rng, int n, double lo, double hi)
    {
        var a = new double[n];
        for (int k = 0; k < n; k++) a[k] = lo + (hi - lo) * rng.NextDouble();
        return a;
    }
}
