using FastWeights.Kernels.Gru;

namespace FastWeights.Tests.Kernels.Gru;

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
public sealed class GruReferenceGradientTests : CellReferenceGradientTests<GruRunner, GruCase, GruLayer>
{
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
