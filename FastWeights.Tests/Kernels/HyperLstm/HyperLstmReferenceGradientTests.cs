
namespace FastWeights.Tests.Kernels.HyperLstm;

/// <summary>
/// The hand-derived float64 backward of <see cref="HyperLstmReference"/> against central differences of
/// <see cref="HyperLstmReference.Loss"/>, every element of every differentiable input. The bar, 1e-6 relative L2,
/// is argued as for the LSTM (<see cref="CellReferenceGradientTests{TFamily, TCase, TLayer}"/>): truncation ~1e-12 and rounding ~1e-9 at step 1e-6.
/// </summary>
public sealed class HyperLstmReferenceGradientTests
{
    private const double GradTolerance = 1e-6;
    private const double FdStep = 1e-6;

    [TestCase(1, 1, 3, 4, 3, 2, true, 1, TestName = "B1_T1_I3_H4_N3_Z2_stateGrads")]
    [TestCase(2, 4, 3, 5, 4, 3, true, 2, TestName = "B2_T4_I3_H5_N4_Z3_stateGrads")]
    [TestCase(2, 3, 4, 3, 5, 2, false, 3, TestName = "B2_T3_I4_H3_N5_Z2_noStateGrads")]
    public void BackwardMatchesCentralDifferences(int batch, int time, int input, int hidden, int hyper, int embedding, bool stateGrads, int seed)
    {
        var c = HyperLstmCase.Random(batch, time, input, hidden, hyper, embedding, seed, stateGrads);
        var analytic = HyperLstmReference.Backward(c);
        CentralDifferences.AssertBackward(HyperLstmCase.Names.Select(n => (n, c[n])), analytic, () => HyperLstmReference.Loss(c), FdStep, GradTolerance);
    }
}
