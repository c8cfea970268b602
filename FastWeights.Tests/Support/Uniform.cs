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

    /// <summary>A <paramref name="rows"/> × <paramref name="fanIn"/> weight matrix ~ U(−1,1)/√fan-in (row-major, drawn in order).</summary>
    public static double[] Weights(Random rng, int rows, int fanIn) =>
        Draw(rng, rows * fanIn, -1, 1).Select(v => v / Math.Sqrt(fanIn)).ToArray();
}
