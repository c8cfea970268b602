namespace FastWeights.Tests.Kernels.FastWeightRnn;

public sealed class FastWeightRnnReferenceGradientTests
{
    // Why 1e-6 relative L2 between Backward and central differences is the right bar:
    //  * truncation: (F(x+h) − F(x−h)) / 2h = F'(x) + h²/6 · F'''(ξ). With h = 1e-6 that is ~1.7e-13 · |F'''|;
    //    the layer is a composition of tanh / LN / bilinear terms with O(1)–O(10) third derivatives at these
    //    scales, so ≲ 1e-11 per element.
    //  * rounding: F is a sum of O(100) products of O(1) numbers, evaluated with relative error ~ a few
    //    ·1e-16 · |F| (|F| ~ 1–10), and the difference is divided by 2h = 2e-6: ~ 1e-16 · 10 / 2e-6 ≈ 5e-10
    //    absolute per element.
    //  * gradient elements are O(0.1–1), so the relative L2 error of a correct Backward is ~1e-9, three
    //    orders below 1e-6, while any real derivation error (a missing term, a transpose) is O(1e-2..1).
    // ReLU is only differentiable away from 0: each ReLU case asserts that every activation argument is
    // at least KinkMargin from the kink, so no ±h probe crosses it.
    private const double GradTolerance = 1e-6;
    private const double FdStep = 1e-6;
    private const double KinkMargin = 1e-4;

    //          relu   S  decay  H  I  B  T  eta   stateGrads zeroInit seed
    [TestCase(false, 1, 0.9, 5, 3, 1, 1, 0.5, true, false, 11, TestName = "Tanh_S1_decay0.9_H5_I3_B1_T1_eta0.5_withStateGrads")]
    [TestCase(false, 2, 0.95, 7, 3, 2, 5, 0.5, true, false, 12, TestName = "Tanh_S2_decay0.95_H7_I3_B2_T5_eta0.5_withStateGrads")]
    [TestCase(false, 3, 1.0, 5, 3, 2, 4, 0.5, false, false, 13, TestName = "Tanh_S3_decay1_H5_I3_B2_T4_eta0.5_noStateGrads")]
    [TestCase(false, 1, 0.5, 7, 3, 1, 6, 0.0, true, false, 14, TestName = "Tanh_S1_decay0.5_H7_I3_B1_T6_eta0_withStateGrads")]
    [TestCase(false, 2, 0.9, 5, 3, 2, 4, 0.5, true, true, 15, TestName = "Tanh_S2_decay0.9_H5_I3_B2_T4_eta0.5_withStateGrads_zeroInitialState")]
    [TestCase(false, 2, 0.9, 5, 8, 1, 4, 0.0, false, false, 16, TestName = "Tanh_S2_decay0.9_H5_I8_B1_T4_eta0_noStateGrads")]
    [TestCase(true, 1, 0.9, 5, 3, 2, 4, 0.5, true, false, 21, TestName = "Relu_S1_decay0.9_H5_I3_B2_T4_eta0.5_withStateGrads")]
    [TestCase(true, 2, 0.5, 7, 3, 1, 5, 0.5, false, false, 22, TestName = "Relu_S2_decay0.5_H7_I3_B1_T5_eta0.5_noStateGrads")]
    [TestCase(true, 3, 0.95, 7, 3, 2, 6, 0.0, true, false, 23, TestName = "Relu_S3_decay0.95_H7_I3_B2_T6_eta0_withStateGrads")]
    [TestCase(true, 3, 1.0, 5, 3, 1, 1, 0.5, true, false, 24, TestName = "Relu_S3_decay1_H5_I3_B1_T1_eta0.5_withStateGrads")]
    [TestCase(true, 2, 0.9, 7, 3, 2, 4, 0.5, true, true, 25, TestName = "Relu_S2_decay0.9_H7_I3_B2_T4_eta0.5_withStateGrads_zeroInitialState")]
    public void BackwardMatchesCentralDifferences(bool relu, int steps, double decay, int hidden, int input,
        int batch, int time, double fastLr, bool withStateGradients, bool zeroInitialState, int seed)
    {
        var cfg = new ReferenceConfig(batch, time, input, hidden, steps, decay, fastLr, relu);
        var c = ReferenceCase.Random(cfg, seed, withStateGradients, zeroInitialState);

        if (relu)
        {
            double margin = FastWeightRnnReference.MinAbsActivationArgument(cfg, c.Params, c.Inputs);
            Assert.That(margin, Is.GreaterThan(KinkMargin),
                "a ReLU argument sits too close to 0 for finite differences; pick another seed");
        }

        var analytic = FastWeightRnnReference.Backward(cfg, c.Params, c.Inputs, c.Dy, c.DhT, c.DAT);
        var numeric = FastWeightRnnReference.FiniteDifferences(cfg, c.Params, c.Inputs, c.Dy, c.DhT, c.DAT, FdStep);

        var report = new List<string>();
        bool ok = true;
        foreach (var ((name, a), (_, n)) in analytic.All().Zip(numeric.All()))
        {
            Assert.That(a, Has.Length.EqualTo(n.Length), name);
            double err = Tolerance.RelativeL2(a, n);
            double norm = Math.Sqrt(n.Sum(v => v * v));
            report.Add($"{name}: relL2={err:E2} |fd|={norm:E2}");
            // A vanishing finite-difference gradient would make the comparison vacuous.
            ok &= err <= GradTolerance && norm > 1e-8;
        }
        TestContext.Out.WriteLine(string.Join("\n", report));
        Assert.That(ok, Is.True, string.Join("; ", report));
    }

    // Without layer norm (the CONTROL baseline's path): n = v, so g and beta get exactly zero gradient.
    [TestCase(false, 1, 0.0, 1, TestName = "NoLayerNorm_Tanh_S1_eta0")]
    [TestCase(false, 2, 0.5, 2, TestName = "NoLayerNorm_Tanh_S2_eta0.5")]
    [TestCase(true, 1, 0.5, 3, TestName = "NoLayerNorm_Relu_S1_eta0.5")]
    public void BackwardWithoutLayerNormMatchesCentralDifferences(bool relu, int steps, double fastLr, int seed)
    {
        var cfg = new ReferenceConfig(2, 5, 3, 6, steps, 0.9, fastLr, relu, LayerNorm: false);
        var c = ReferenceCase.Random(cfg, seed);
        if (relu)
            Assert.That(FastWeightRnnReference.MinAbsActivationArgument(cfg, c.Params, c.Inputs), Is.GreaterThan(KinkMargin));
        var analytic = FastWeightRnnReference.Backward(cfg, c.Params, c.Inputs, c.Dy, c.DhT, c.DAT);
        var numeric = FastWeightRnnReference.FiniteDifferences(cfg, c.Params, c.Inputs, c.Dy, c.DhT, c.DAT, FdStep);
        Assert.Multiple(() =>
        {
            foreach (var ((name, a), (_, n)) in analytic.All().Zip(numeric.All()))
            {
                if (name is "DLnGain" or "DLnBias")
                {
                    Assert.That(a, Is.All.EqualTo(0.0), name);
                    continue;
                }
                Assert.That(Math.Sqrt(n.Sum(v => v * v)), Is.GreaterThan(1e-8), $"{name}: vanishing gradient");
                Assert.That(Tolerance.RelativeL2(a, n), Is.LessThanOrEqualTo(GradTolerance), name);
            }
        });
    }

    [TestCase(false, TestName = "Forward_Eta0_FinalAIsDecayPowTTimesA0_Tanh")]
    [TestCase(true, TestName = "Forward_Eta0_FinalAIsDecayPowTTimesA0_Relu")]
    public void WithZeroFastLrFinalAIsDecayedA0(bool relu)
    {
        var cfg = new ReferenceConfig(2, 5, 3, 5, 2, 0.9, 0.0, relu);
        var c = ReferenceCase.Random(cfg, 101);
        var o = FastWeightRnnReference.Forward(cfg, c.Params, c.Inputs);
        double factor = Math.Pow(cfg.Decay, cfg.Time);
        for (int k = 0; k < o.AT.Length; k++)
            Assert.That(o.AT[k], Is.EqualTo(factor * c.Inputs.A0[k]).Within(1e-12), $"AT[{k}]");
    }

    [TestCase(false, 2, TestName = "Forward_StateCarry_Tanh_T6_split2")]
    [TestCase(true, 4, TestName = "Forward_StateCarry_Relu_T6_split4")]
    public void ForwardSplitsAtAnyStepWhenStateIsCarried(bool relu, int split)
    {
        int bsz = 2, tLen = 6, inSz = 3, h = 7;
        var cfg = new ReferenceConfig(bsz, tLen, inSz, h, 3, 0.95, 0.5, relu);
        var c = ReferenceCase.Random(cfg, 202);
        var full = FastWeightRnnReference.Forward(cfg, c.Params, c.Inputs);

        double[] SliceTime(double[] a, int width, int t0, int t1)
        {
            var r = new double[bsz * (t1 - t0) * width];
            for (int b = 0; b < bsz; b++)
                Array.Copy(a, (b * tLen + t0) * width, r, b * (t1 - t0) * width, (t1 - t0) * width);
            return r;
        }

        var cfg1 = cfg with { Time = split };
        var cfg2 = cfg with { Time = tLen - split };
        var first = FastWeightRnnReference.Forward(cfg1, c.Params,
            new ReferenceInputs(SliceTime(c.Inputs.X, inSz, 0, split), c.Inputs.H0, c.Inputs.A0));
        var second = FastWeightRnnReference.Forward(cfg2, c.Params,
            new ReferenceInputs(SliceTime(c.Inputs.X, inSz, split, tLen), first.HT, first.AT));

        var y1 = SliceTime(full.Y, h, 0, split);
        var y2 = SliceTime(full.Y, h, split, tLen);
        Assert.Multiple(() =>
        {
            for (int k = 0; k < y1.Length; k++) Assert.That(first.Y[k], Is.EqualTo(y1[k]).Within(1e-12), $"y first[{k}]");
            for (int k = 0; k < y2.Length; k++) Assert.That(second.Y[k], Is.EqualTo(y2[k]).Within(1e-12), $"y second[{k}]");
            for (int k = 0; k < full.HT.Length; k++) Assert.That(second.HT[k], Is.EqualTo(full.HT[k]).Within(1e-12), $"hT[{k}]");
            for (int k = 0; k < full.AT.Length; k++) Assert.That(second.AT[k], Is.EqualTo(full.AT[k]).Within(1e-12), $"AT[{k}]");
        });
        // The split must not be trivially satisfied: the state really evolves.
        Assert.That(Tolerance.RelativeL2(first.AT, c.Inputs.A0), Is.GreaterThan(1e-3));
    }

    [Test]
    public void ForwardMatchesHandComputedTwoUnitStep()
    {
        // H = 2, I = 1, one time step, one inner step, tanh. For H = 2 layer norm has a closed form:
        // d = (v1 − v2)/2, var = d², xhat = (d, −d)/sqrt(d² + ε).
        double eps = 1e-5, lambda = 0.9, eta = 0.5;
        var cfg = new ReferenceConfig(1, 1, 1, 2, 1, lambda, eta, Relu: false, LnEps: eps);
        var p = new ReferenceParams(
            w: [0.3, -0.2, 0.1, 0.4],
            c: [0.5, -0.7],
            b: [0.05, -0.02],
            lnGain: [1.1, 0.9],
            lnBias: [0.03, -0.04]);
        var inp = new ReferenceInputs(x: [0.6], h0: [0.2, -0.1], a0: [0.01, 0.02, -0.03, 0.04]);

        double z1 = 0.3 * 0.2 + -0.2 * -0.1 + 0.5 * 0.6 + 0.05;
        double z2 = 0.1 * 0.2 + 0.4 * -0.1 + -0.7 * 0.6 - 0.02;
        double p1 = Math.Tanh(z1), p2 = Math.Tanh(z2);
        double v1 = z1 + 0.01 * p1 + 0.02 * p2;
        double v2 = z2 - 0.03 * p1 + 0.04 * p2;
        double d = (v1 - v2) / 2;
        double xh = d / Math.Sqrt(d * d + eps);
        double h1 = Math.Tanh(1.1 * xh + 0.03);
        double h2 = Math.Tanh(0.9 * -xh - 0.04);
        double[] expectedA =
        [
            lambda * 0.01 + eta * h1 * h1, lambda * 0.02 + eta * h1 * h2,
            lambda * -0.03 + eta * h2 * h1, lambda * 0.04 + eta * h2 * h2,
        ];

        var o = FastWeightRnnReference.Forward(cfg, p, inp);
        Assert.Multiple(() =>
        {
            Assert.That(o.Y, Is.EqualTo(new[] { h1, h2 }).Within(1e-14));
            Assert.That(o.HT, Is.EqualTo(new[] { h1, h2 }).Within(1e-14));
            Assert.That(o.AT, Is.EqualTo(expectedA).Within(1e-14));
        });
    }

    [Test]
    public void ReluDerivativeAtExactlyZeroIsZero()
    {
        // W = C = b = 0 ⇒ z = 0 exactly, h_0 = 0, v = 0, LN(v) = beta. beta_0 = 0 sits exactly on the kink.
        var cfg = new ReferenceConfig(1, 1, 2, 3, 1, 1.0, 0.0, Relu: true);
        var p = new ReferenceParams(cfg);
        p.LnGain[0] = p.LnGain[1] = p.LnGain[2] = 1.0;
        p.LnBias[0] = 0.0;
        p.LnBias[1] = 0.5;
        p.LnBias[2] = -0.5;
        var inp = new ReferenceInputs(x: [0.3, -0.4], h0: new double[3], a0: new double[9]);
        double[] dy = [0.7, -1.3, 0.9];

        var o = FastWeightRnnReference.Forward(cfg, p, inp);
        Assert.That(o.Y, Is.EqualTo(new[] { 0.0, 0.5, 0.0 }));

        var g = FastWeightRnnReference.Backward(cfg, p, inp, dy, null, null);
        Assert.That(g.DLnBias, Is.EqualTo(new[] { 0.0, -1.3, 0.0 }));
    }

    [Test]
    public void ObjectiveDependsOnEveryInputAndParameter()
    {
        // No dhT / dAT, so A0 can only act through the inner steps. The perturbation pattern is random
        // (a constant shift of A0 or of the LN input would be invisible after layer norm).
        var cfg = new ReferenceConfig(2, 4, 3, 5, 2, 0.9, 0.5, Relu: false);
        var c = ReferenceCase.Random(cfg, 303, withStateGradients: false);
        double f0 = FastWeightRnnReference.Objective(cfg, c.Params, c.Inputs, c.Dy, null, null);

        var rng = new Random(7);
        var pc = c.Params.Clone();
        var ic = c.Inputs.Clone();
        var targets = new (string Name, double[] Values)[]
        {
            ("X", ic.X), ("H0", ic.H0), ("A0", ic.A0), ("W", pc.W), ("C", pc.C), ("B", pc.B),
            ("LnGain", pc.LnGain), ("LnBias", pc.LnBias),
        };
        Assert.Multiple(() =>
        {
            foreach (var (name, values) in targets)
            {
                var saved = (double[])values.Clone();
                for (int k = 0; k < values.Length; k++) values[k] += 1e-3 * (2 * rng.NextDouble() - 1);
                double f1 = FastWeightRnnReference.Objective(cfg, pc, ic, c.Dy, null, null);
                Array.Copy(saved, values, values.Length);
                Assert.That(Math.Abs(f1 - f0), Is.GreaterThan(1e-7), $"objective ignores {name}");
            }
        });
    }

    [Test]
    public void FiniteDifferencesLeavesInputsUntouched()
    {
        var cfg = new ReferenceConfig(1, 2, 3, 5, 1, 0.9, 0.5, Relu: false);
        var c = ReferenceCase.Random(cfg, 404);
        var p0 = c.Params.Clone();
        var i0 = c.Inputs.Clone();
        FastWeightRnnReference.FiniteDifferences(cfg, c.Params, c.Inputs, c.Dy, c.DhT, c.DAT);
        FastWeightRnnReference.Backward(cfg, c.Params, c.Inputs, c.Dy, c.DhT, c.DAT);
        Assert.Multiple(() =>
        {
            Assert.That(c.Params.W, Is.EqualTo(p0.W));
            Assert.That(c.Params.C, Is.EqualTo(p0.C));
            Assert.That(c.Params.B, Is.EqualTo(p0.B));
            Assert.That(c.Params.LnGain, Is.EqualTo(p0.LnGain));
            Assert.That(c.Params.LnBias, Is.EqualTo(p0.LnBias));
            Assert.That(c.Inputs.X, Is.EqualTo(i0.X));
            Assert.That(c.Inputs.H0, Is.EqualTo(i0.H0));
            Assert.That(c.Inputs.A0, Is.EqualTo(i0.A0));
        });
    }
}
