using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Kernels.FastWeightRnn;

/// <summary>
/// The float32 kernels against the float64 reference, both schedules of the matrix form and the attention form
/// (<see cref="FastWeightForm"/>), on the CPU accelerator.
/// Tolerances (relative L2 over each tensor): forward ≤ 1e-5, every gradient ≤ 1e-4.
/// Why these hold: every quantity is a sum of O(H) float32 products per step (u = 6e-8 each), carried
/// over ≤ 40 steps through a contracting recurrence, so the forward error is ~1e-6; the backward adds
/// the rebuild of A (≤ 256·u by the choice of K, docs/design.md §5) and sums of O(B·T) terms.
/// </summary>
public sealed class FastWeightRnnKernelVsReferenceTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        // (B, T, I, H, S, λ, relu, η, stateGrads)
        var shapes = new (int B, int T, int I, int H, int S, double Decay, bool Relu, double Eta, bool StateGrads)[]
        {
            (2, 5, 3, 8, 1, 0.95, false, 0.5, true),
            (1, 1, 3, 7, 2, 0.9, false, 0.5, true),     // B = 1, T = 1
            (2, 12, 3, 13, 3, 0.5, false, 0.5, true),   // H not a power of two, small λ: several anchors
            (3, 9, 5, 6, 2, 1.0, true, 0.5, false),     // ReLU, λ = 1
            (2, 20, 3, 24, 1, 0.9, true, 0.3, true),
            (2, 40, 3, 16, 3, 0.95, false, 0.5, true),
            (2, 7, 11, 9, 1, 0.5, true, 0.0, true),     // I > H, η = 0
        };
        // The attention form runs one thread per sequence; it is listed as a third variant beside the two schedules.
        foreach (var (schedule, form) in new[] { (SweepSchedule.Thread, FastWeightForm.Matrix), (SweepSchedule.Group, FastWeightForm.Matrix),
                     (SweepSchedule.Host, FastWeightForm.Matrix), (SweepSchedule.Thread, FastWeightForm.Attention) })
        {
            string variant = form == FastWeightForm.Attention ? "Attention" : schedule.ToString();
            // Without layer norm: the RNN-without-LN path the CONTROL baseline uses (η = 0, S = 1), and with fast weights.
            foreach (var (eta, steps) in new[] { (0.0, 1), (0.5, 2) })
            {
                var plain = new ReferenceConfig(2, 10, 4, 9, steps, 0.9, eta, false, LayerNorm: false);
                yield return new TestCaseData(schedule, form, plain, true).SetName($"{variant}_NoLayerNorm_B2_T10_I4_H9_S{steps}_eta{eta}");
            }
            foreach (var s in shapes)
            {
                var cfg = new ReferenceConfig(s.B, s.T, s.I, s.H, s.S, s.Decay, s.Eta, s.Relu);
                yield return new TestCaseData(schedule, form, cfg, s.StateGrads)
                    .SetName($"{variant}_B{s.B}_T{s.T}_I{s.I}_H{s.H}_S{s.S}_decay{s.Decay}_{(s.Relu ? "relu" : "tanh")}_eta{s.Eta}{(s.StateGrads ? "_stateGrads" : "")}");
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void ForwardAndGradientsMatchReference(SweepSchedule schedule, FastWeightForm form, ReferenceConfig cfg, bool stateGrads)
    {
        var c = ReferenceCase.Random(cfg, seed: cfg.Hidden * 31 + cfg.Time, withStateGradients: stateGrads);
        var (expectedOut, expectedGrad) = c.Reference();
        var result = LayerRunner.Run(c, schedule, form: form);

        LayerRunner.AssertMatches(result, expectedOut, expectedGrad, forwardTolerance: 1e-5, gradientTolerance: 1e-4);
    }
}
