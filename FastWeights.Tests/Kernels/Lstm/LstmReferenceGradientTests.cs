using FastWeights.Kernels.Lstm;

namespace FastWeights.Tests.Kernels.Lstm;

/// <summary>
/// The LSTM's hand-derived float64 backward (<see cref="LstmReference"/>) against central differences of
/// <see cref="LstmReference.Loss"/>; the 1e-6 bar is argued in <see cref="CellReferenceGradientTests{TFamily, TCase, TLayer}"/>.
/// </summary>
public sealed class LstmReferenceGradientTests : CellReferenceGradientTests<LstmRunner, LstmCase, LstmLayer>
{
    [Test]
    public void OmittedStateGradientsEqualZeroStateGradients()
    {
        var without = LstmCase.Random(2, 3, 3, 4, seed: 9, withStateGradients: false);
        var zeroed = without.Window(0, 3, without.H0, without.C0, new double[8], new double[8]);
        var a = LstmReference.Backward(without);
        var b = LstmReference.Backward(zeroed);
        foreach (var (name, _) in without.Differentiable())
            Assert.That(a[name], Is.EqualTo(b[name]), name);
    }
}
