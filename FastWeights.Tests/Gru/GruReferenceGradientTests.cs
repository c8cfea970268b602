using FastWeights.Tests.Reference;
using NUnit.Framework;

namespace FastWeights.Tests.Gru;

/// <summary>
/// The hand-derived float64 backward of <see cref="GruReference"/> against central differences of
/// <see cref="GruReference.Loss"/>, every element of every differentiable input.
/// </summary>
/// <remarks>
/// Why 1e-6 relative L2 (as for the LSTM): with step h = 1e-6 the truncation error h²/6·|F'''| is ~1e-12 (sigmoid,
/// tanh, layer norm and products with O(1)–O(10) third derivatives at these scales), and the rounding error of L
/// (a sum of O(100) O(1) terms, ~1e-15 absolute) divided by 2h is ~1e-9 per element; gradient elements are O(0.1–1).
/// A correct backward lands near 1e-9; a wrong term (a dropped LN mean, r on the wrong branch) is O(1e-2..1).
/// </remarks>
[TestFixture]
public sealed class GruReferenceGradientTests
{
    private const double GradTolerance = 1e-6;
    private const double FdStep = 1e-6;

    [TestCase(1, 1, 3, 4, true, 1, TestName = "B1_T1_I3_H4_stateGrads")]
    [TestCase(2, 4, 3, 5, true, 2, TestName = "B2_T4_I3_H5_stateGrads")]
    [TestCase(2, 5, 6, 3, false, 3, TestName = "B2_T5_I6_H3_noStateGrads")]
    [TestCase(1, 6, 2, 7, true, 4, TestName = "B1_T6_I2_H7_stateGrads")]
    public void BackwardMatchesCentralDifferences(int batch, int time, int input, int hidden, bool stateGrads, int seed)
    {
        var c = GruCase.Random(batch, time, input, hidden, seed, stateGrads);
        var analytic = GruReference.Backward(c);
        Assert.Multiple(() =>
        {
            foreach (var (name, values) in c.Differentiable())
            {
                var numeric = new double[values.Length];
                for (int k = 0; k < values.Length; k++)
                {
                    double keep = values[k];
                    values[k] = keep + FdStep;
                    double plus = GruReference.Loss(c);
                    values[k] = keep - FdStep;
                    double minus = GruReference.Loss(c);
                    values[k] = keep;
                    numeric[k] = (plus - minus) / (2 * FdStep);
                }
                double err = Tolerance.RelativeL2(analytic[name], numeric);
                double norm = Math.Sqrt(numeric.Sum(v => v * v));
                TestContext.Out.WriteLine($"{name}: relL2={err:E2} |fd|={norm:E2}");
                Assert.That(err, Is.LessThanOrEqualTo(GradTolerance), $"{name}: relative L2 error {err:E2}");
                // A vanishing gradient would make the comparison vacuous.
                Assert.That(norm, Is.GreaterThan(1e-6), $"{name}: finite-difference gradient is ~0");
            }
        });
    }

    [Test]
    public void OmittedStateGradientEqualsZeroStateGradient()
    {
        var without = GruCase.Random(2, 3, 3, 4, seed: 9, withStateGradients: false);
        var zeroed = without.Window(0, 3, without.H0, new double[8]);
        var a = GruReference.Backward(without);
        var b = GruReference.Backward(zeroed);
        foreach (var (name, _) in without.Differentiable())
            Assert.That(a[name], Is.EqualTo(b[name]), name);
    }
}
