namespace FastWeights.Tests.Model.Ops;

/// <summary>
/// The hand-derived float64 backward of each op in <see cref="OpReferences"/> against central differences
/// of a scalar loss (⟨dOut, out⟩ with random dOut, or the mean cross-entropy).
/// </summary>
/// <remarks>
/// Why 1e-6 relative L2 with step 1e-6 is the right bar:
/// <list type="bullet">
/// <item>Truncation: the central difference is F'(x) + h²/6·F'''(ξ). Embedding, LastStep and Dense (away from
/// the ReLU kink) are linear in each input, so F''' = 0 and there is no truncation error at all; for the
/// softmax cross-entropy F''' is O(1) at these logit scales, so the error is ~1e-13.</item>
/// <item>Rounding: each loss is a sum of ≲ 100 products of O(1) numbers, evaluated with a relative error of a
/// few 1e-16 (|F| ≲ 10), divided by 2h = 2e-6: ≲ 1e-9 absolute per element.</item>
/// <item>Gradient elements are O(0.1–1), so a correct backward lands near 1e-9 relative L2, three orders
/// below the bar, while a real derivation error (a transpose, a missing term, a wrong scale) is O(1e-2..1).</item>
/// </list>
/// ReLU is differentiable only away from 0: the ReLU cases assert every pre-activation is at least
/// <see cref="KinkMargin"/> from 0, so no ±h probe crosses the kink.
/// </remarks>
public sealed class OpReferenceGradientTests
{
    private const double FdStep = 1e-6;
    private const double GradTolerance = 1e-6;
    private const double KinkMargin = 1e-4;

    internal static double[] Uniform(Random rng, int count, double bound) => OpTestData.Uniform64(rng, count, bound);

    private static void AssertClose(string name, double[] analytic, double[] numeric)
    {
        double err = Tolerance.RelativeL2(analytic, numeric);
        double norm = Math.Sqrt(numeric.Sum(v => v * v));
        Assert.That(norm, Is.GreaterThan(1e-8), $"{name}: the finite-difference gradient vanishes; the comparison would be vacuous");
        Assert.That(err, Is.LessThanOrEqualTo(GradTolerance), $"{name}: relL2={err:E2} |fd|={norm:E2}");
    }

    [TestCase(1, 3, 4, false, 1)]
    [TestCase(5, 7, 3, false, 2)]
    [TestCase(1, 4, 5, true, 3)]
    [TestCase(6, 5, 9, true, 4)]
    public void DenseBackwardMatchesCentralDifferences(int n, int inputs, int outputs, bool relu, int seed)
    {
        var (w, b, x, dy) = OpTestData.DenseProblem(seed, n, inputs, outputs);
        if (relu)
        {
            var pre = OpReferences.DensePreActivation(w, b, x, n, inputs, outputs);
            Assert.That(pre.Min(Math.Abs), Is.GreaterThan(KinkMargin), "a pre-activation sits at the ReLU kink; pick another seed");
            Assert.That(pre.Count(v => v > 0), Is.InRange(1, pre.Length - 1), "want both active and inactive units");
        }
        var y = OpReferences.DenseForward(w, b, x, n, inputs, outputs, relu);
        var (dW, db, dx) = OpReferences.DenseBackward(w, x, y, dy, n, inputs, outputs, relu);

        double Loss() => OpReferences.Dot(dy, OpReferences.DenseForward(w, b, x, n, inputs, outputs, relu));
        AssertClose("dW", dW, CentralDifferences.Of(w, Loss, FdStep));
        AssertClose("db", db, CentralDifferences.Of(b, Loss, FdStep));
        AssertClose("dx", dx, CentralDifferences.Of(x, Loss, FdStep));
    }

    [Test]
    public void EmbeddingBackwardMatchesCentralDifferencesWithRepeatedTokens()
    {
        const int V = 6, D = 4;
        int[] tokens = [2, 0, 2, 5, 2, 1, 0]; // 2 three times, 0 twice; 3 and 4 unused
        var rng = new Random(7);
        var weight = Uniform(rng, V * D, 1.0);
        var dOut = Uniform(rng, tokens.Length * D, 1.0);
        var analytic = OpReferences.EmbeddingBackward(dOut, tokens, V, D);

        double Loss() => OpReferences.Dot(dOut, OpReferences.EmbeddingForward(weight, tokens, V, D));
        AssertClose("dWeight", analytic, CentralDifferences.Of(weight, Loss, FdStep));
        for (int d = 0; d < D; d++)
        {
            Assert.That(analytic[3 * D + d], Is.EqualTo(0.0), "unused token 3");
            Assert.That(analytic[4 * D + d], Is.EqualTo(0.0), "unused token 4");
        }
    }

    [TestCase(1, 4, 11)]
    [TestCase(6, 7, 12)]
    [TestCase(9, 3, 13)]
    public void SoftmaxCrossEntropyMeanLossBackwardMatchesCentralDifferences(int n, int classes, int seed)
    {
        var rng = new Random(seed);
        var logits = Uniform(rng, n * classes, 3.0);
        var targets = Enumerable.Range(0, n).Select(_ => rng.Next(classes)).ToArray();
        var (_, p, _) = OpReferences.SoftmaxCrossEntropyForward(logits, targets, classes);
        var analytic = OpReferences.SoftmaxCrossEntropyBackward(p, targets, classes, 1.0 / n);

        double Loss() => OpReferences.MeanCrossEntropy(logits, targets, classes);
        AssertClose("dLogits", analytic, CentralDifferences.Of(logits, Loss, FdStep));
    }

    [TestCase(1, 1, 3)]
    [TestCase(3, 5, 4)]
    public void LastStepBackwardMatchesCentralDifferences(int batch, int time, int hidden)
    {
        var rng = new Random(batch * 10 + time);
        var sequence = Uniform(rng, batch * time * hidden, 1.0);
        var dOut = Uniform(rng, batch * hidden, 1.0);
        var analytic = OpReferences.LastStepBackward(dOut, batch, time, hidden);

        double Loss() => OpReferences.Dot(dOut, OpReferences.LastStepForward(sequence, batch, time, hidden));
        AssertClose("dSequence", analytic, CentralDifferences.Of(sequence, Loss, FdStep));
    }

    /// <summary>
    /// Layer norm is not linear, so the central difference has a truncation error h²/6·F‴ with F‴ = O(1/σ³): with
    /// σ ≈ 0.5 (inputs U(−1,1)) that is ~1e-12, far below the bar. Scaled and shifted rows show dx is invariant to them.
    /// </summary>
    [TestCase(1, 3, 1.0, 0.0, 21)]
    [TestCase(5, 7, 1.0, 0.0, 22)]
    [TestCase(4, 6, 3.0, 2.0, 23)]
    public void LayerNormBackwardMatchesCentralDifferences(int n, int width, double scale, double shift, int seed)
    {
        const double eps = 1e-5;
        var rng = new Random(seed);
        var g = Uniform(rng, width, 1.0).Select(v => 1 + 0.5 * v).ToArray();
        var b = Uniform(rng, width, 0.5);
        var x = Uniform(rng, n * width, 1.0).Select(v => scale * v + shift).ToArray();
        var dy = Uniform(rng, n * width, 1.0);
        var (dg, db, dx) = OpReferences.LayerNormBackward(g, x, dy, n, width, eps);

        double Loss() => OpReferences.Dot(dy, OpReferences.LayerNormForward(g, b, x, n, width, eps));
        AssertClose("dgain", dg, CentralDifferences.Of(g, Loss, FdStep));
        AssertClose("dbias", db, CentralDifferences.Of(b, Loss, FdStep));
        AssertClose("dx", dx, CentralDifferences.Of(x, Loss, FdStep));
        for (int s = 0; s < n; s++)
            Assert.That(Math.Abs(dx.Skip(s * width).Take(width).Sum()), Is.LessThan(1e-12),
                "dx of a row sums to 0: adding a constant to a row leaves the output unchanged");
    }

    [TestCase(1, 1, 3)]
    [TestCase(2, 4, 3)]
    [TestCase(3, 5, 2)]
    public void TokenShiftBackwardMatchesCentralDifferences(int batch, int time, int width)
    {
        var rng = new Random(batch * 100 + time * 10 + width);
        var x = Uniform(rng, batch * time * width, 1.0);
        var dShifted = Uniform(rng, batch * time * 2 * width, 1.0);
        var analytic = OpReferences.TokenShiftBackward(dShifted, batch, time, width);

        double Loss() => OpReferences.Dot(dShifted, OpReferences.TokenShiftForward(x, batch, time, width));
        AssertClose("dx", analytic, CentralDifferences.Of(x, Loss, FdStep));
    }

    [Test]
    public void SoftmaxCrossEntropyReferenceBreaksTiesTowardTheLowestIndex()
    {
        double[] logits = [1, 3, 3, 0, 2, 2, 2, 2];
        var (_, _, correct) = OpReferences.SoftmaxCrossEntropyForward(logits, [1, 0], 4);
        Assert.That(correct, Is.EqualTo(new[] { 1, 1 }));
        (_, _, correct) = OpReferences.SoftmaxCrossEntropyForward(logits, [2, 3], 4);
        Assert.That(correct, Is.EqualTo(new[] { 0, 0 }));
    }
}
