using FastWeights.Kernels.LinearFastWeights;

namespace FastWeights.Tests.Kernels.LinearFastWeights;

/// <summary>
/// The float64 reference's hand-derived backward against central differences of its forward, for every feature map,
/// both rules, normalisation on and off, with initial state and state gradients. Step h = 1e-6 on every element: the
/// truncation error is O(h²·φ''') ≈ 1e-12 and the cancellation error O(ε_64·|L|/h) ≈ 1e-10, so each gradient tensor
/// must agree to 1e-6 relative L2 (<see cref="Tolerance.RelativeL2"/>); a wrong term is off by O(1). Random inputs put
/// DPFP's ReLU kinks at distance ≫ h (probability of a hit ≈ 1e-6 per element).
/// </summary>
public sealed class LinearFastWeightReferenceGradientTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var map in Enum.GetValues<FeatureMap>())
            foreach (var rule in Enum.GetValues<UpdateRule>())
                foreach (var normalize in new[] { false, true })
                {
                    var cfg = new LinearReferenceConfig(2, 4, 2, 3, 2, map, rule, normalize);
                    yield return new TestCaseData(cfg).SetName($"CentralDifferences_{cfg}");
                }
    }

    [TestCaseSource(nameof(Cases))]
    public void BackwardMatchesCentralDifferences(LinearReferenceConfig cfg)
    {
        var c = LinearReferenceCase.Random(cfg, seed: 7 + (int)cfg.Map * 4 + (int)cfg.Rule * 2 + (cfg.Normalize ? 1 : 0));
        var g = LinearFastWeightReference.Backward(c);
        const double h = 1e-6;
        Assert.Multiple(() =>
        {
            foreach (var (name, values) in c.Inputs())
            {
                var perturbed = (double[])values.Clone();
                var numeric = CentralDifferences.Of(perturbed, () => LinearFastWeightReference.Loss(c.With(name, perturbed)), h);
                double err = Tolerance.RelativeL2(g.Of(name), numeric);
                TestContext.Out.WriteLine($"{name}: {err:E2}");
                Assert.That(err, Is.LessThanOrEqualTo(1e-6), $"d{name}");
            }
        });
    }

    [Test]
    public void DpfpMatchesTheDefinition()
    {
        // d = 2, x = (0.5, −2): r = ReLU([x, −x]) = (0.5, 0, 0, 2); roll(r, 1) = (2, 0.5, 0, 0), roll(r, 2) = (0, 2, 0.5, 0).
        var phi = LinearFastWeightReference.Phi(FeatureMap.Dpfp2, [0.5, -2.0]);
        Assert.That(phi, Is.EqualTo(new[] { 1.0, 0, 0, 0, 0, 0, 0, 0 }));
        var phi3 = LinearFastWeightReference.Phi(FeatureMap.Dpfp3, [0.5, -2.0]);
        // roll(r, 3) = (0, 0, 2, 0.5): the third block is r ⊙ roll(r, 3) = (0, 0, 0, 1).
        Assert.That(phi3.Skip(8), Is.EqualTo(new[] { 0.0, 0, 0, 1 }));
        Assert.That(FeatureMap.Dpfp3.FeatureSize(5), Is.EqualTo(30));
    }
}
