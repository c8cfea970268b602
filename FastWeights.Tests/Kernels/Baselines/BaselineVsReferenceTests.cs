using FastWeights.Kernels.Baselines;
using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Tests.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Kernels.Baselines;

/// <summary>
/// Both baselines (<see cref="PerStepLaunchRnn"/>, <see cref="AttentionFormRnn"/>) against the float64
/// reference on the CPU accelerator, with the fused layer's tolerances (relative L2 over each tensor):
/// forward ≤ 1e-5, every gradient ≤ 1e-4 (docs/design.md §8; docs/baselines.md §3).
/// </summary>
public sealed class BaselineVsReferenceTests
{
    private static readonly BaselineKind[] Kinds = [BaselineKind.PerStepLaunch, BaselineKind.AttentionForm];

    public static IEnumerable<TestCaseData> Cases()
    {
        // (B, T, I, H, S, λ, relu, η, stateGrads, layerNorm, passInitialState)
        var shapes = new (int B, int T, int I, int H, int S, double Decay, bool Relu, double Eta, bool StateGrads, bool Ln, bool Init)[]
        {
            (2, 5, 3, 8, 1, 0.9, false, 0.5, true, true, true),
            (1, 1, 3, 7, 2, 0.9, false, 0.5, true, true, true),       // B = 1, T = 1
            (2, 12, 3, 13, 3, 0.5, false, 0.5, true, true, true),     // H not a power of two, S = 3, small λ
            (3, 9, 5, 6, 2, 1.0, true, 0.5, false, true, true),       // ReLU, λ = 1, no dhT/dAT
            (2, 20, 3, 24, 1, 0.9, true, 0.3, true, true, true),      // ReLU, longer
            (2, 7, 11, 9, 1, 0.5, true, 0.0, true, true, true),       // I > H, η = 0
            (2, 10, 4, 9, 2, 0.9, false, 0.5, true, false, true),     // without layer norm
            (2, 8, 4, 10, 3, 1.0, false, 0.5, true, true, false),     // h0, A0 empty views
            (2, 6, 3, 5, 2, 0.5, true, 0.5, false, true, false),      // ReLU, empty h0/A0 and dhT/dAT
            (2, 15, 3, 8, 2, 0.1, false, 0.5, true, true, true),      // small λ (the fused layer stores A every 2 steps here)
        };
        foreach (var kind in Kinds)
            foreach (var s in shapes)
            {
                var cfg = new ReferenceConfig(s.B, s.T, s.I, s.H, s.S, s.Decay, s.Eta, s.Relu, LayerNorm: s.Ln);
                yield return new TestCaseData(kind, cfg, s.StateGrads, s.Init)
                    .SetName($"{kind}_B{s.B}_T{s.T}_I{s.I}_H{s.H}_S{s.S}_decay{s.Decay}_{(s.Relu ? "relu" : "tanh")}_eta{s.Eta}"
                        + $"{(s.StateGrads ? "_stateGrads" : "")}{(s.Ln ? "" : "_noLN")}{(s.Init ? "" : "_zeroState")}");
            }
    }

    [TestCaseSource(nameof(Cases))]
    public void ForwardAndGradientsMatchReference(BaselineKind kind, ReferenceConfig cfg, bool stateGrads, bool passInitialState)
    {
        var c = ReferenceCase.Random(cfg, seed: cfg.Hidden * 31 + cfg.Time, withStateGradients: stateGrads, zeroInitialState: !passInitialState);
        var (expectedOut, expectedGrad) = c.Reference();
        var result = BaselineRunner.Run(kind, c, passInitialState);

        LayerRunner.AssertMatches(result, expectedOut, expectedGrad, forwardTolerance: 1e-5, gradientTolerance: 1e-4);
    }

    // ---------------------------------------------------------------- arguments

    private const int B = 2, T = 3, I = 3, H = 4;

    private static FastWeightRnnOptions SmallOptions => new()
    {
        InputSize = I, HiddenSize = H, InnerSteps = 2, Decay = 0.9, FastLearningRate = 0.5,
    };

    /// <summary>Device views of (B, T, I, H) filled with a smooth pattern; a named view can be replaced by one of another length.</summary>
    private sealed class Rig : IDisposable
    {
        private readonly List<MemoryBuffer> owned = [];

        public Rig(string? wrong = null, long wrongLength = 1)
        {
            ArrayView<float> V(string name, long length)
            {
                if (name == wrong) length = wrongLength;
                var data = new float[length];
                for (int k = 0; k < data.Length; k++)
                    data[k] = name == "LnGain" ? 1f : 0.3f * MathF.Sin(name.Length * 5 + k * 0.9f);
                var buffer = BaselineRunner.Accelerator.Allocate1D(data);
                owned.Add(buffer);
                return buffer.View;
            }
            Views = new BaselineViews
            {
                Y = V("y", (long)B * T * H), HT = V("hT", B * H), AT = V("aT", (long)B * H * H),
                X = V("x", (long)B * T * I), H0 = V("h0", B * H), A0 = V("a0", (long)B * H * H),
                DX = V("dx", (long)B * T * I), DH0 = V("dh0", B * H), DA0 = V("dA0", (long)B * H * H),
                Dy = V("dy", (long)B * T * H), DhT = V("dhT", B * H), DAT = V("dAT", (long)B * H * H),
                Parameters = new FastWeightRnnParameters(V("W", H * H), V("C", H * I), V("B", H), V("LnGain", H), V("LnBias", H)),
                Gradients = new FastWeightRnnParameterGradients(V("DW", H * H), V("DC", H * I), V("DB", H), V("DLnGain", H), V("DLnBias", H)),
            };
        }

        public BaselineViews Views { get; }

        public void Dispose()
        {
            foreach (var b in owned) b.Dispose();
        }
    }

    private static IEnumerable<TestCaseData> KindCases(string label, params object[] extra)
    {
        foreach (var kind in Kinds)
            yield return new TestCaseData(new object[] { kind }.Concat(extra).ToArray()).SetName($"{kind}_{label}");
    }

    public static IEnumerable<TestCaseData> WrongForwardViews() =>
        new[] { "y", "hT", "aT", "x", "h0", "a0", "W", "LnBias" }.SelectMany(n => KindCases($"Forward_{n}_WrongLength_Named", n));

    public static IEnumerable<TestCaseData> WrongBackwardViews() =>
        new[] { "dx", "dh0", "dA0", "DW", "DC", "dy", "dhT", "dAT" }.SelectMany(n => KindCases($"Backward_{n}_WrongLength_Named", n));

    [TestCaseSource(nameof(WrongForwardViews))]
    public void ForwardRejectsAViewOfTheWrongLengthAndNamesIt(BaselineKind kind, string name)
    {
        using var rig = new Rig(wrong: name, wrongLength: 5);
        using var baseline = new BaselineUnderTest(kind, BaselineRunner.Accelerator, SmallOptions, B, T);
        var ex = Assert.Throws<ArgumentException>(() => baseline.Forward(rig.Views, B, T))!;
        Assert.That(ex.ParamName, Is.EqualTo(name), ex.Message);
        Assert.That(ex.Message, Does.Contain(name));
    }

    [TestCaseSource(nameof(WrongBackwardViews))]
    public void BackwardRejectsAViewOfTheWrongLengthAndNamesIt(BaselineKind kind, string name)
    {
        using var good = new Rig();
        using var rig = new Rig(wrong: name, wrongLength: 5);
        using var baseline = new BaselineUnderTest(kind, BaselineRunner.Accelerator, SmallOptions, B, T);
        baseline.Forward(good.Views, B, T);
        var ex = Assert.Throws<ArgumentException>(() => baseline.Backward(rig.Views, B, T))!;
        Assert.That(ex.ParamName, Is.EqualTo(name), ex.Message);
        Assert.That(ex.Message, Does.Contain(name));
    }

    public static IEnumerable<TestCaseData> AllKinds() => Kinds.Select(k => new TestCaseData(k).SetName($"{{m}}_{k}"));

    [TestCaseSource(nameof(AllKinds))]
    public void RejectedCallLeavesOutputsUntouched(BaselineKind kind)
    {
        using var rig = new Rig(wrong: "x", wrongLength: 7);
        using var baseline = new BaselineUnderTest(kind, BaselineRunner.Accelerator, SmallOptions, B, T);
        var before = rig.Views.Y.GetAsArray();
        Assert.Throws<ArgumentException>(() => baseline.Forward(rig.Views, B, T));
        Assert.That(rig.Views.Y.GetAsArray(), Is.EqualTo(before));
    }

    [TestCaseSource(nameof(AllKinds))]
    public void BackwardWithoutForwardThrows(BaselineKind kind)
    {
        using var rig = new Rig();
        using var baseline = new BaselineUnderTest(kind, BaselineRunner.Accelerator, SmallOptions, B, T);
        Assert.Throws<InvalidOperationException>(() => baseline.Backward(rig.Views, B, T));
        baseline.Forward(rig.Views, B, T);
        Assert.Throws<InvalidOperationException>(() => baseline.Backward(rig.Views, B, T - 1));
    }

    [TestCaseSource(nameof(AllKinds))]
    public void SizesBeyondTheWorkspaceAreNamed(BaselineKind kind)
    {
        using var rig = new Rig();
        using var baseline = new BaselineUnderTest(kind, BaselineRunner.Accelerator, SmallOptions, B - 1, T);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => baseline.Forward(rig.Views, B, T))!;
        Assert.That(ex.ParamName, Is.EqualTo("batch"));
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => baseline.Forward(rig.Views, B, 0))!;
        Assert.That(ex.ParamName, Is.EqualTo("time"));
    }

    [TestCaseSource(nameof(AllKinds))]
    public void BadOptionsAreNamed(BaselineKind kind)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(
            () => new BaselineUnderTest(kind, BaselineRunner.Accelerator, SmallOptions with { Decay = 0.0 }, B, T))!;
        Assert.That(ex.ParamName, Is.EqualTo("Decay"));
        ex = Assert.Throws<ArgumentOutOfRangeException>(
            () => new BaselineUnderTest(kind, BaselineRunner.Accelerator, SmallOptions with { InnerSteps = 0 }, B, T))!;
        Assert.That(ex.ParamName, Is.EqualTo("InnerSteps"));
    }

    [TestCaseSource(nameof(AllKinds))]
    public void WorkspaceBytesIsWhatIsAllocated(BaselineKind kind)
    {
        using var baseline = new BaselineUnderTest(kind, BaselineRunner.Accelerator, SmallOptions, B, T);
        const int S = 2;
        // docs/baselines.md: per-step B·H²·(T+2) + B·H·(2T(S+1)+6) + B·T·S; attention B·H·(2T(S+1)+T+6) + B·T·S + B·H².
        long floats = kind == BaselineKind.PerStepLaunch
            ? (long)B * H * H * (T + 2) + (long)B * H * (2 * T * (S + 1) + 6) + B * T * S
            : (long)B * H * (2 * T * (S + 1) + T + 6) + B * T * S + (long)B * H * H;
        Assert.That(baseline.WorkspaceBytes(B, T), Is.EqualTo(4 * floats));
        Assert.That(baseline.Workspace.AllocatedBytes, Is.EqualTo(baseline.WorkspaceBytes(B, T)));
    }

    /// <summary>
    /// State carry as for the fused layer (docs/design.md §2): (hT, AT) of a first call fed back in place
    /// as (h0, A0) of a second gives the one-call result. For the attention form this also checks that
    /// the backward uses its own copy of A0 after aT has overwritten a0.
    /// </summary>
    [TestCaseSource(nameof(AllKinds))]
    public void StateCarriedInPlaceMatchesTheReference(BaselineKind kind)
    {
        var cfg = new ReferenceConfig(2, 6, 3, 5, 2, 0.9, 0.5, false);
        var c = ReferenceCase.Random(cfg, seed: 11, withStateGradients: true);
        var half = cfg with { Time = 3 };
        var expected = FastWeightRnnReference.Forward(cfg, c.Params, c.Inputs);
        var acc = BaselineRunner.Accelerator;
        var owned = new List<MemoryBuffer>();
        ArrayView<float> Up(double[] d)
        {
            var b = acc.Allocate1D(LayerRunner.F(d));
            owned.Add(b);
            return b.View;
        }
        try
        {
            int h = cfg.Hidden, i = cfg.Input;
            var x = c.Inputs.X;
            double[] XHalf(int start)
            {
                var r = new double[cfg.Batch * 3 * i];
                for (int b = 0; b < cfg.Batch; b++)
                    Array.Copy(x, (b * cfg.Time + start) * i, r, b * 3 * i, 3 * i);
                return r;
            }
            var state = Up(c.Inputs.H0);
            var fast = Up(c.Inputs.A0);
            var y1 = Up(new double[cfg.Batch * 3 * h]);
            var y2 = Up(new double[cfg.Batch * 3 * h]);
            var p = new FastWeightRnnParameters(Up(c.Params.W), Up(c.Params.C), Up(c.Params.B), Up(c.Params.LnGain), Up(c.Params.LnBias));
            var grads = new FastWeightRnnParameterGradients(Up(new double[h * h]), Up(new double[h * i]), Up(new double[h]), Up(new double[h]), Up(new double[h]));
            var dA0 = Up(new double[cfg.Batch * h * h]);
            using var baseline = new BaselineUnderTest(kind, acc, LayerRunner.Options(half, SweepSchedule.Thread), cfg.Batch, 3);
            var views = new BaselineViews
            {
                X = Up(XHalf(0)), H0 = state, A0 = fast, Y = y1, HT = state, AT = fast,
                DX = default, DH0 = default, DA0 = dA0, Dy = Up(new double[cfg.Batch * 3 * h]), DhT = default, DAT = Up(c.DAT!),
                Parameters = p, Gradients = grads,
            };
            baseline.Forward(views, cfg.Batch, 3);
            // A backward of the second half needs the A0 it saw, after aT overwrote a0 in place.
            var second = new BaselineViews
            {
                X = Up(XHalf(3)), H0 = state, A0 = fast, Y = y2, HT = state, AT = fast,
                DX = default, DH0 = default, DA0 = dA0, Dy = Up(new double[cfg.Batch * 3 * h]), DhT = default, DAT = Up(c.DAT!),
                Parameters = p, Gradients = grads,
            };
            var a0OfSecond = fast.GetAsArray();
            baseline.Forward(second, cfg.Batch, 3);
            baseline.Backward(second, cfg.Batch, 3);
            acc.Synchronize();

            var yAll = new float[cfg.Batch * cfg.Time * h];
            var first = y1.GetAsArray();
            var next = y2.GetAsArray();
            for (int b = 0; b < cfg.Batch; b++)
            {
                Array.Copy(first, b * 3 * h, yAll, (b * cfg.Time) * h, 3 * h);
                Array.Copy(next, b * 3 * h, yAll, (b * cfg.Time + 3) * h, 3 * h);
            }
            Assert.Multiple(() =>
            {
                Assert.That(LayerRunner.RelErr(yAll, expected.Y), Is.LessThanOrEqualTo(1e-5));
                Assert.That(LayerRunner.RelErr(state.GetAsArray(), expected.HT), Is.LessThanOrEqualTo(1e-5));
                Assert.That(LayerRunner.RelErr(fast.GetAsArray(), expected.AT), Is.LessThanOrEqualTo(1e-5));
            });

            // The second call's backward (dy = 0, only dAT) against the reference started from the first
            // half's exact hT and the A0 the second call really saw.
            var firstHalf = FastWeightRnnReference.Forward(half, c.Params, new ReferenceInputs(XHalf(0), c.Inputs.H0, c.Inputs.A0));
            var secondInputs = new ReferenceInputs(XHalf(3), firstHalf.HT, LayerRunner.D(a0OfSecond));
            var expectedGrad = FastWeightRnnReference.Backward(half, c.Params, secondInputs, new double[cfg.Batch * 3 * h], null, c.DAT);
            Assert.That(LayerRunner.RelErr(dA0.GetAsArray(), expectedGrad.DA0), Is.LessThanOrEqualTo(1e-4));
        }
        finally
        {
            foreach (var b in owned) b.Dispose();
        }
    }
}
