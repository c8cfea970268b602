using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Kernels.FastWeightRnn;

/// <summary>
/// The rebuild recurrence A(t−1) = (A(t) − η h hᵀ)/λ on its own, in float32 exactly as the reverse
/// sweep computes it, measured against the A the float32 forward really produced. Without anchors the
/// error grows like λ^−k; with an anchor every K = CheckpointPolicy.Interval(λ) steps it stays below
/// the bound of docs/design.md §5, c·u·Σλ^−j ≤ c·256·u (c = 4 allows for the two roundings per element
/// and |η h hᵀ| next to |A|).
/// </summary>
public sealed class FastWeightRnnRebuildErrorTests
{
    private const double Unit = 1.0 / (1 << 24);

    /// <summary>Largest relative (max-norm) error of the rebuilt A over a sequence of T steps.</summary>
    private static double WorstRebuildError(int time, float decay, float fastLr, int interval, int seed)
    {
        const int H = 16;
        var rng = new Random(seed);
        var hs = new float[time][];
        var forward = new float[time + 1][];
        var a = new float[H * H];
        forward[0] = (float[])a.Clone();
        for (int t = 0; t < time; t++)
        {
            var h = new float[H];
            for (int i = 0; i < H; i++) h[i] = (float)Math.Tanh(2 * rng.NextDouble() - 1);
            hs[t] = h;
            for (int i = 0; i < H; i++)
                for (int j = 0; j < H; j++)
                    a[i * H + j] = decay * a[i * H + j] + fastLr * h[i] * h[j];
            forward[t + 1] = (float[])a.Clone();
        }

        var rebuilt = (float[])forward[time].Clone();
        double worst = 0;
        for (int t = time - 1; t >= 0; t--)
        {
            if (t % interval == 0)
                rebuilt = (float[])forward[t].Clone();
            else
                for (int i = 0; i < H; i++)
                {
                    float scaled = fastLr * hs[t][i];
                    for (int j = 0; j < H; j++)
                        rebuilt[i * H + j] = (rebuilt[i * H + j] - scaled * hs[t][j]) / decay;
                }
            double err = 0, norm = 0;
            for (int k = 0; k < H * H; k++)
            {
                err = Math.Max(err, Math.Abs(rebuilt[k] - forward[t][k]));
                norm = Math.Max(norm, Math.Abs(forward[t][k]));
            }
            if (norm > 0) worst = Math.Max(worst, double.IsFinite(err) ? err / norm : double.PositiveInfinity);
        }
        return worst;
    }

    [TestCase(0.5f)]
    [TestCase(0.9f)]
    [TestCase(0.95f)]
    [TestCase(0.99f)]
    [TestCase(1.0f)]
    public void AnchoringEveryKStepsKeepsTheErrorWithinTheBound(float decay)
    {
        int k = CheckpointPolicy.Interval(decay);
        double worst = WorstRebuildError(time: 1000, decay, fastLr: 0.5f, interval: k, seed: 1);
        TestContext.Out.WriteLine($"λ={decay} K={k} worst relative rebuild error {worst:E2}");
        Assert.That(worst, Is.LessThanOrEqualTo(4 * CheckpointPolicy.AmplificationBudget * Unit));
    }

    [TestCase(0.9f)]
    [TestCase(0.95f)]
    public void WithoutAnchorsTheErrorExplodes(float decay)
    {
        double worst = WorstRebuildError(time: 1000, decay, fastLr: 0.5f, interval: int.MaxValue, seed: 1);
        TestContext.Out.WriteLine($"λ={decay} no anchors: worst relative rebuild error {worst:E2}");
        Assert.That(worst, Is.GreaterThan(1.0));
    }

    [Test]
    public void IntervalFollowsTheBudget()
    {
        Assert.Multiple(() =>
        {
            Assert.That(CheckpointPolicy.Interval(1.0), Is.EqualTo(256));
            Assert.That(CheckpointPolicy.Interval(1e-6), Is.EqualTo(1));
            foreach (double decay in new[] { 0.3, 0.5, 0.9, 0.95, 0.99 })
            {
                int k = CheckpointPolicy.Interval(decay);
                double Sum(int n) => Enumerable.Range(1, n).Sum(j => Math.Pow(decay, -j));
                Assert.That(Sum(k), Is.LessThanOrEqualTo(CheckpointPolicy.AmplificationBudget), $"λ={decay}");
                Assert.That(Sum(k + 1), Is.GreaterThan(CheckpointPolicy.AmplificationBudget), $"λ={decay}: K is not the largest");
            }
        });
    }
}
