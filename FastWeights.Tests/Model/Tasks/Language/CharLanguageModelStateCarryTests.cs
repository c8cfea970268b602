using FastWeights.Model.Layers;
using FastWeights.Model.Tasks.Retrieval;

namespace FastWeights.Tests.Model.Tasks.Language;

/// <summary>
/// State carry across windows (truncated BPTT) for every kind the factory builds, one layer and stacks: two windows with
/// the state handed from the first to the second compute what one long window computes — the outputs, the final state,
/// and the gradient within the second window given the carried state (dx there, which the long window's backward gives
/// exactly for a loss on the second window alone, since x_t after the boundary reaches the loss only through later steps).
/// </summary>
/// <remarks>
/// Tolerance 1e-5 relative L2 (forward, state) and 1e-4 (dx): the two runs do the same float32 operations step by step;
/// they differ only where a layer sums over the window (the attention form of the fast-weight RNN sums over stored states
/// instead of starting from A0; the DPFP memory's chunked sums), so the difference is float32 rounding, ~1e-7 per
/// operation, compounded over ≤ 7 steps (the backward's longer chains get 10×). A state dropped or misplaced at the
/// boundary changes the second window's outputs by O(0.1–1).
/// </remarks>
public sealed class CharLanguageModelStateCarryTests
{
    private const int B = 2, T1 = 3, T2 = 4, T = T1 + T2, I = 5, H = 8;

    internal static RetrievalModelConfig Config(RecurrentKind kind, int layers) => new()
    {
        Kind = kind, Hidden = H, Layers = layers, HyperHidden = 4, HyperEmbedding = 2, Heads = 2, FeedForward = 6,
    };

    internal static float[] Pattern(long n, int salt)
    {
        var data = new float[n];
        for (long k = 0; k < n; k++) data[k] = 0.6f * MathF.Sin(0.37f * k + salt) + 0.2f * MathF.Cos(1.3f * k * salt);
        return data;
    }

    /// <summary>Rows [t0, t0+len) of every sequence of a [B,T,W] array.</summary>
    private static float[] Steps(float[] a, int time, int width, int t0, int len)
    {
        var r = new float[B * len * width];
        for (int b = 0; b < B; b++)
            Array.Copy(a, (b * time + t0) * width, r, b * len * width, len * width);
        return r;
    }

    public static IEnumerable<TestCaseData> Kinds()
    {
        foreach (var kind in Enum.GetValues<RecurrentKind>())
            yield return new TestCaseData(kind, 1).SetArgDisplayNames(RetrievalModelConfig.KindName(kind), "L=1");
        yield return new TestCaseData(RecurrentKind.FastWeights, 2).SetArgDisplayNames("fw", "L=2");
        yield return new TestCaseData(RecurrentKind.Lstm, 2).SetArgDisplayNames("lstm-ln", "L=2");
        yield return new TestCaseData(RecurrentKind.DpfpSum, 2).SetArgDisplayNames("dpfp-sum", "L=2");
    }

    [TestCaseSource(nameof(Kinds))]
    public void TwoWindowsWithTheStateCarriedEqualOneLongWindow(RecurrentKind kind, int layers)
    {
        var acc = Devices.Cpu.Accelerator;
        var stream = acc.DefaultStream;
        using var module = RecurrentModules.Create(acc, "recurrent", Config(kind, layers).SequenceLayer, I, B, T);
        var layer = module as IStatefulSequenceLayer;
        Assert.That(layer, Is.Not.Null, "every kind carries state");
        if (layer is RecurrentStack stack) Assert.That(stack.IsStateful, Is.True);
        layer!.Initialize(new Random(5));
        long S = layer.StateLength(B);
        int O = layer.OutputSize;
        var x = Pattern((long)B * T * I, 1);
        var dy2 = Pattern((long)B * T2 * O, 2);

        using var zero = acc.Allocate1D<float>(S);
        zero.MemSetToZero();
        using var s1 = acc.Allocate1D<float>(S);
        using var s2 = acc.Allocate1D<float>(S);
        using var sLong = acc.Allocate1D<float>(S);

        // One long window; the loss on its last T2 steps only.
        using var xLong = acc.Allocate1D(x);
        using var yLong = acc.Allocate1D<float>((long)B * T * O);
        using var dyLong = acc.Allocate1D<float>((long)B * T * O);
        var dyLongHost = new float[B * T * O];
        for (int b = 0; b < B; b++) Array.Copy(dy2, b * T2 * O, dyLongHost, (b * T + T1) * O, T2 * O);
        dyLong.View.CopyFromCPU(dyLongHost);
        using var dxLong = acc.Allocate1D<float>((long)B * T * I);
        layer.Forward(stream, yLong.View, sLong.View, xLong.View, zero.View, B, T);
        layer.Backward(stream, dxLong.View, dyLong.View, xLong.View, B, T);
        stream.Synchronize();
        var yLongHost = yLong.GetAsArray1D();
        var dxLongHost = dxLong.GetAsArray1D();
        var sLongHost = sLong.GetAsArray1D();

        // Two windows, the state of the first handed to the second.
        using var x1 = acc.Allocate1D(Steps(x, T, I, 0, T1));
        using var x2 = acc.Allocate1D(Steps(x, T, I, T1, T2));
        using var y1 = acc.Allocate1D<float>((long)B * T1 * O);
        using var y2 = acc.Allocate1D<float>((long)B * T2 * O);
        using var dy2Buffer = acc.Allocate1D(dy2);
        using var dx2 = acc.Allocate1D<float>((long)B * T2 * I);
        layer.Forward(stream, y1.View, s1.View, x1.View, zero.View, B, T1);
        layer.Forward(stream, y2.View, s2.View, x2.View, s1.View, B, T2);
        layer.Backward(stream, dx2.View, dy2Buffer.View, x2.View, B, T2);
        stream.Synchronize();

        static double[] D(float[] a) => Array.ConvertAll(a, v => (double)v);
        Assert.That(Tolerance.RelativeL2(D(y1.GetAsArray1D()), D(Steps(yLongHost, T, O, 0, T1))), Is.LessThanOrEqualTo(1e-5), "y, window 1");
        Assert.That(Tolerance.RelativeL2(D(y2.GetAsArray1D()), D(Steps(yLongHost, T, O, T1, T2))), Is.LessThanOrEqualTo(1e-5), "y, window 2");
        Assert.That(Tolerance.RelativeL2(D(s2.GetAsArray1D()), D(sLongHost)), Is.LessThanOrEqualTo(1e-5), "final state");
        Assert.That(Tolerance.RelativeL2(D(dx2.GetAsArray1D()), D(Steps(dxLongHost, T, I, T1, T2))), Is.LessThanOrEqualTo(1e-4), "dx, window 2");

        // The carry matters: from the empty state the second window's outputs differ clearly.
        using var yCold = acc.Allocate1D<float>((long)B * T2 * O);
        layer.Forward(stream, yCold.View, s2.View, x2.View, zero.View, B, T2);
        stream.Synchronize();
        Assert.That(Tolerance.RelativeL2(D(yCold.GetAsArray1D()), D(y2.GetAsArray1D())), Is.GreaterThan(1e-3), "the carried state changes window 2");
    }

    [Test]
    public void AWrongStateLengthIsRejectedNamingTheView()
    {
        var acc = Devices.Cpu.Accelerator;
        using var layer = (IStatefulSequenceLayer)RecurrentModules.Create(acc, "recurrent", Config(RecurrentKind.Lstm, 1).SequenceLayer, I, B, T);
        using var s = acc.Allocate1D<float>(layer.StateLength(B) - 1);
        using var ok = acc.Allocate1D<float>(layer.StateLength(B));
        using var x = acc.Allocate1D<float>((long)B * T * I);
        using var y = acc.Allocate1D<float>((long)B * T * H);
        var e = Assert.Throws<ArgumentException>(() => layer.Forward(acc.DefaultStream, y.View, ok.View, x.View, s.View, B, T));
        Assert.That(e!.ParamName, Is.EqualTo("initialState"));
    }
}
