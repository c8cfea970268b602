using FastWeights.Kernels.Gru;

namespace FastWeights.Tests.Kernels.Gru;

/// <summary>
/// The float32 GRU-LN kernels against the float64 reference, both schedules (the group schedule on the NVIDIA-shaped
/// CPU device), on the CPU accelerator. Tolerances (relative L2 over each tensor): forward ≤ 1e-5, every gradient ≤ 1e-4.
/// Why these hold (as for the LSTM): each step is a sum of O(H + I) float32 products (u = 6e-8 each) followed by
/// layer norms and saturating gates, carried through ≤ 30 steps of a contracting recurrence (u ∈ (0,1)), so the forward
/// error is ~1e-6; the backward adds sums of O(B·T) terms for the weight gradients.
/// The tests are those of <see cref="CellKernelVsReferenceTests{TFamily, TCase, TLayer}"/>.
/// </summary>
public sealed class GruKernelVsReferenceTests : CellKernelVsReferenceTests<GruRunner, GruCase, GruLayer>
{
    /// <summary>
    /// The kernels' gradients straight against central differences of the float64 loss (not through the reference's
    /// backward): every element of x, h0, W_h, W_x and the four layer-norm vectors, both schedules. Tolerance 1e-4
    /// relative L2: the central differences are exact to ~1e-9 (<see cref="GruReferenceGradientTests"/>), so what is
    /// left is the kernels' float32 error, as in <see cref="ForwardAndGradientsMatchReference"/>.
    /// </summary>
    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Group)]
    public void GradientsMatchCentralDifferences(SweepSchedule schedule)
    {
        var c = GruCase.Random(2, 4, 3, 6, seed: 77);
        using var layer = new GruLayer(GruRunner.AcceleratorFor(schedule), GruRunner.Options(c, schedule));
        var r = GruRunner.Run(layer, c);
        const double step = 1e-6;
        Assert.Multiple(() =>
        {
            foreach (var (name, values) in c.Differentiable())
            {
                var numeric = CentralDifferences.Of(values, () => GruReference.Loss(c), step);
                double err = Tolerance.RelativeL2(Array.ConvertAll(r[name], v => (double)v), numeric);
                TestContext.Out.WriteLine($"{name}: {err:E2}");
                Assert.That(err, Is.LessThanOrEqualTo(1e-4), $"{name}: relative L2 error {err:E2}");
                Assert.That(numeric.Sum(v => v * v), Is.GreaterThan(1e-12), $"{name}: finite-difference gradient is ~0");
            }
        });
    }
}
