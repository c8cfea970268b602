namespace FastWeights.Tests.Support;

/// <summary>
/// Central differences of a float64 loss, the check every hand-derived reference backward is held to:
/// numeric[k] = (L(x_k + h) − L(x_k − h)) / 2h for every element of an input, perturbed in place and restored.
/// </summary>
public static class CentralDifferences
{
    /// <summary>The central-difference gradient of <paramref name="loss"/> with respect to every element of <paramref name="values"/>.</summary>
    public static double[] Of(double[] values, Func<double> loss, double step)
    {
        var numeric = new double[values.Length];
        for (int k = 0; k < values.Length; k++)
        {
            double keep = values[k];
            values[k] = keep + step;
            double plus = loss();
            values[k] = keep - step;
            double minus = loss();
            values[k] = keep;
            numeric[k] = (plus - minus) / (2 * step);
        }
        return numeric;
    }

    /// <summary>
    /// Asserts the analytic gradient within <paramref name="tolerance"/> relative L2 of the numeric one, and that the numeric
    /// one's L2 norm exceeds <paramref name="minNorm"/> (a vanishing gradient would make the comparison vacuous); writes both.
    /// </summary>
    public static void AssertAgrees(string name, double[] analytic, double[] numeric, double tolerance, double minNorm = 1e-6)
    {
        double err = Tolerance.RelativeL2(analytic, numeric);
        double norm = Math.Sqrt(numeric.Sum(v => v * v));
        TestContext.Out.WriteLine($"{name}: relL2={err:E2} |fd|={norm:E2}");
        Assert.That(err, Is.LessThanOrEqualTo(tolerance), $"{name}: relative L2 error {err:E2}");
        Assert.That(norm, Is.GreaterThan(minNorm), $"{name}: finite-difference gradient is ~0");
    }

    /// <summary>
    /// Every named input against central differences of <paramref name="loss"/>, in one <see cref="Assert.Multiple(TestDelegate)"/>:
    /// <see cref="Of"/> then <see cref="AssertAgrees"/> for each.
    /// </summary>
    public static void AssertBackward(IEnumerable<(string Name, double[] Values)> inputs, IReadOnlyDictionary<string, double[]> analytic,
        Func<double> loss, double step, double tolerance, double minNorm = 1e-6)
    {
        Assert.Multiple(() =>
        {
            foreach (var (name, values) in inputs)
                AssertAgrees(name, analytic[name], Of(values, loss, step), tolerance, minNorm);
        });
    }
}
