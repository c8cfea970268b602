using FastWeights.Kernels.Lstm;

namespace FastWeights.Tests.Kernels.Lstm;

/// <summary>
/// The hand-derived float64 backward of <see cref="LstmReference"/> against central differences of
/// <see cref="LstmReference.Loss"/>, every element of every differentiable input.
/// </summary>
/// <remarks>
/// Why 1e-6 relative L2: with step h = 1e-6 the truncation error h²/6·|F'''| is ~1e-12 (the layer is a composition
/// of sigmoid, tanh, layer norm and products with O(1)–O(10) third derivatives at these scales), and the rounding
/// error of L (a sum of O(100) O(1) terms, ~1e-15 absolute) divided by 2h is ~1e-9 per element; gradient elements
/// are O(0.1–1). A correct backward lands near 1e-9; a wrong term (a dropped LN mean, a transposed weight) is O(1e-2..1).
/// </remarks>
public sealed class LstmReferenceGradientTests : CellReferenceGradientTests<LstmRunner, LstmCase, LstmLayer>
{
    [Test]
    public void OmittedStateGradientsEqualZeroStateGradients()
    {
        var without = LstmCase.Random(2, 3, 3, 4, seed: 9, withStateGradients: false);
        var zeros = LstmCase.Random(2, 3, 3, 4, seed: 9, withStateGradients: true);
        var zeroed = new LstmCase
        {
            Batch = 2, Time = 3, Input = 3, Hidden = 4, X = zeros.X, H0 = zeros.H0, C0 = zeros.C0, WH = zeros.WH, WX = zeros.WX,
            B = zeros.B, LnGain = zeros.LnGain, LnBias = zeros.LnBias, CellLnGain = zeros.CellLnGain, CellLnBias = zeros.CellLnBias,
            Dy = zeros.Dy, DhT = new double[8], DcT = new double[8],
        };
        var a = LstmReference.Backward(without);
        var b = LstmReference.Backward(zeroed);
        foreach (var (name, _) in without.Differentiable())
            Assert.That(a[name], Is.EqualTo(b[name]), name);
    }
}
