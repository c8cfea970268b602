using FastWeights.Kernels.Gru;

namespace FastWeights.Tests.Kernels.Gru;

/// <summary>
/// The GRU's hand-derived float64 backward (<see cref="GruReference"/>) against central differences of
/// <see cref="GruReference.Loss"/>; the 1e-6 bar is argued in <see cref="CellReferenceGradientTests{TFamily, TCase, TLayer}"/>.
/// </summary>
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
