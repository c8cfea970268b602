using FastWeights.Kernels.LinearFastWeights;
using FastWeights.Tests.Model.Ops;

namespace FastWeights.Tests.Model.Layers;

/// <summary>
/// The float64 DPFP block reference (<see cref="DpfpBlockReference"/>): its composed backward against central
/// differences of its forward, for every parameter and the input, both update rules, DPFP-1 and DPFP-2.
/// </summary>
/// <remarks>
/// Why 1e-6 relative L2 with step h = 1e-6: the loss ⟨dOut, out⟩ is smooth away from the ReLU kinks (the feed-forward's
/// and DPFP's), so the truncation error is O(h²·F‴) ≈ 1e-12 with F‴ = O(1) at these scales, and the cancellation error
/// O(ε₆₄·|L|/h) ≈ 1e-10 with |L| ≲ 10. A correct chain rule lands near 1e-9; a missing residual or a transposed
/// projection is off by O(0.1..1). The test asserts the feed-forward's pre-activations keep ≥ 1e-4 from the kink
/// (no ±h probe crosses it); DPFP's kinks sit at q, k = 0, which random projections hit with probability ~1e-6.
/// </remarks>
public sealed class DpfpBlockReferenceGradientTests
{
    private const double FdStep = 1e-6;
    private const double GradTolerance = 1e-6;

    public static IEnumerable<TestCaseData> Shapes()
    {
        foreach (var rule in new[] { UpdateRule.Delta, UpdateRule.Sum })
        {
            yield return new TestCaseData(new DpfpBlockShape(2, 3, 4, 2, 2, 3, 5, FeatureMap.Dpfp1, rule), 33 + (int)rule);
            yield return new TestCaseData(new DpfpBlockShape(1, 4, 3, 1, 3, 2, 4, FeatureMap.Dpfp2, rule), 41 + (int)rule);
        }
    }

    [TestCaseSource(nameof(Shapes))]
    public void BlockBackwardMatchesCentralDifferences(DpfpBlockShape shape, int seed)
    {
        var (p, x, dOut) = DpfpBlockReference.RandomProblem(shape, seed);
        var act = DpfpBlockReference.Run(shape, p, x);
        var pre = OpReferences.DensePreActivation(p["ff1.weight"], p["ff1.bias"], act.C, shape.Rows, shape.Width, shape.FeedForward);
        Assert.That(pre.Min(Math.Abs), Is.GreaterThan(1e-4), "a feed-forward pre-activation sits at the ReLU kink; pick another seed");

        var (grads, dx) = DpfpBlockReference.Backward(shape, p, x, dOut);
        double Loss() => OpReferences.Dot(dOut, DpfpBlockReference.Forward(shape, p, x));
        Assert.Multiple(() =>
        {
            foreach (var (name, _) in DpfpBlockReference.Parameters(shape))
                AssertClose(name, grads[name], CentralDifferences.Of(p[name], Loss, FdStep));
            AssertClose("x", dx, CentralDifferences.Of(x, Loss, FdStep));
        });
    }

    private static void AssertClose(string name, double[] analytic, double[] numeric)
    {
        double norm = Math.Sqrt(numeric.Sum(v => v * v));
        // Relative to max(‖fd‖, 1e-2): a tensor whose gradient nearly vanishes (the delta rule's q projection in one
        // case has ‖fd‖ ≈ 6e-5) is held to 1e-8 absolute instead, since the difference quotient's own rounding floor
        // (~1e-10 per element) is not small relative to such a gradient.
        double err = Tolerance.RelativeL2(analytic, numeric) * norm / Math.Max(norm, 1e-2);
        Assert.That(norm, Is.GreaterThan(1e-8), $"{name}: the finite-difference gradient vanishes; the comparison would be vacuous");
        Assert.That(err, Is.LessThanOrEqualTo(GradTolerance), $"{name}: relL2={err:E2} |fd|={norm:E2}");
    }
}
