using FastWeights.Kernels.LinearFastWeights;
using FastWeights.Model.Layers;

namespace FastWeights.Tests.Model.Layers;

/// <summary>
/// <see cref="LinearFastWeightSequenceLayer"/> with its fast-weight state carried in and out, like the RNN layer's (h, A): two calls
/// of T/2 with the state passed on equal one call of T. Forward: within 1e-6 relative L2 (the projections are per step; the
/// memory continues from WT rounded once to float32, where one call keeps its compensated sum, docs/linear-fast-weights.md
/// §4). Backward, the gradient handed back through the carry (dW0 of the
/// second half as dWT of the first): dx and the parameter gradients (summed over the halves) within 1e-5 relative L2 of the
/// one-call values: the memory's rebuild and the sums over time round differently in two pieces (float32, ~T·u).
/// </summary>
public sealed class LinearFastWeightSequenceStateTests
{
    private const int B = 2, T = 8, Half = 4, D = 6;

    private static float[] Pattern(long n, int salt)
    {
        var data = new float[n];
        for (long k = 0; k < n; k++) data[k] = 0.6f * MathF.Sin(0.31f * k + salt) + 0.1f * MathF.Cos(1.7f * k);
        return data;
    }

    private static float[] Slice(float[] a, int t0, int t1) => TimeWindows.Slice(a, B, T, D, t0, t1 - t0);

    [TestCase(UpdateRule.Delta)]
    [TestCase(UpdateRule.Sum)]
    public void TwoHalvesWithTheStateCarriedEqualOneCall(UpdateRule rule)
    {
        var acc = Devices.Cpu.Accelerator;
        var stream = acc.DefaultStream;
        var options = new LinearFastWeightSequenceOptions { Width = D, Heads = 2, KeySize = 3, ValueSize = 3, Rule = rule };
        using var attention = new LinearFastWeightSequenceLayer(acc, "attn", options, B, T);
        attention.Initialize(new Random(3));
        var xHost = Pattern((long)B * T * D, 1);
        var dyHost = Pattern((long)B * T * D, 2);
        using var x = acc.Allocate1D(xHost);
        using var dy = acc.Allocate1D(dyHost);
        using var y = acc.Allocate1D<float>((long)B * T * D);
        using var dx = acc.Allocate1D<float>((long)B * T * D);

        // One call.
        attention.Forward(stream, y.View, x.View, B, T);
        attention.Backward(stream, dx.View, dy.View, x.View, B, T);
        stream.Synchronize();
        var yOne = y.GetAsArray1D();
        var dxOne = dx.GetAsArray1D();
        var gradOne = attention.Parameters.Select(p => p.Grad.GetAsArray1D()).ToList();

        // Two halves, the state carried: (W1, z1) from the first is the second's (W0, z0).
        long sw = attention.StateLength(B), sz = attention.NormalizerLength(B);
        using var w1 = acc.Allocate1D<float>(sw);
        using var w2 = acc.Allocate1D<float>(sw);
        using var dw1 = acc.Allocate1D<float>(sw);
        using var z1 = acc.Allocate1D<float>(Math.Max(sz, 1));
        using var z2 = acc.Allocate1D<float>(Math.Max(sz, 1));
        using var dz1 = acc.Allocate1D<float>(Math.Max(sz, 1));
        ArrayView<float> Z(MemoryBuffer1D<float, Stride1D.Dense> buffer) => sz > 0 ? buffer.View.SubView(0, sz) : default;
        using var xa = acc.Allocate1D(Slice(xHost, 0, Half));
        using var xb = acc.Allocate1D(Slice(xHost, Half, T));
        using var dya = acc.Allocate1D(Slice(dyHost, 0, Half));
        using var dyb = acc.Allocate1D(Slice(dyHost, Half, T));
        using var ya = acc.Allocate1D<float>((long)B * Half * D);
        using var yb = acc.Allocate1D<float>((long)B * Half * D);
        using var dxa = acc.Allocate1D<float>((long)B * Half * D);
        using var dxb = acc.Allocate1D<float>((long)B * Half * D);

        // The module keeps one forward's activations, so each half's backward directly follows its forward: second half
        // first (its dW0 is the first half's dWT), then the first half again.
        attention.Forward(stream, ya.View, w1.View, Z(z1), xa.View, default, default, B, Half);
        attention.Forward(stream, yb.View, w2.View, Z(z2), xb.View, w1.View, Z(z1), B, Half);
        attention.Backward(stream, dxb.View, dw1.View, Z(dz1), dyb.View, default, default, xb.View, w1.View, Z(z1), B, Half);
        stream.Synchronize();
        var gradB = attention.Parameters.Select(p => p.Grad.GetAsArray1D()).ToList();
        var ybHost = yb.GetAsArray1D();
        attention.Forward(stream, ya.View, w1.View, Z(z1), xa.View, default, default, B, Half);
        attention.Backward(stream, dxa.View, default, default, dya.View, dw1.View, Z(dz1), xa.View, default, default, B, Half);
        stream.Synchronize();
        var gradA = attention.Parameters.Select(p => p.Grad.GetAsArray1D()).ToList();

        var yTwo = new float[B * T * D];
        var dxTwo = new float[B * T * D];
        var yaHost = ya.GetAsArray1D();
        var dxaHost = dxa.GetAsArray1D();
        var dxbHost = dxb.GetAsArray1D();
        for (int b = 0; b < B; b++)
        {
            Array.Copy(yaHost, b * Half * D, yTwo, (b * T) * D, Half * D);
            Array.Copy(ybHost, b * Half * D, yTwo, (b * T + Half) * D, Half * D);
            Array.Copy(dxaHost, b * Half * D, dxTwo, (b * T) * D, Half * D);
            Array.Copy(dxbHost, b * Half * D, dxTwo, (b * T + Half) * D, Half * D);
        }
        static double Rel(float[] a, float[] e) => Tolerance.RelativeL2(Array.ConvertAll(a, v => (double)v), Array.ConvertAll(e, v => (double)v));
        Assert.Multiple(() =>
        {
            Assert.That(Rel(yTwo, yOne), Is.LessThanOrEqualTo(1e-6), "y");
            Assert.That(Rel(dxTwo, dxOne), Is.LessThanOrEqualTo(1e-5), "dx through the carried state");
            for (int k = 0; k < gradOne.Count; k++)
            {
                var sum = gradA[k].Zip(gradB[k], (p, q) => p + q).ToArray();
                Assert.That(Rel(sum, gradOne[k]), Is.LessThanOrEqualTo(1e-5), attention.Parameters[k].Name);
            }
        });
    }

    [Test]
    public void AStateOfTheWrongLengthIsNamedAndNothingIsWritten()
    {
        var acc = Devices.Cpu.Accelerator;
        var options = new LinearFastWeightSequenceOptions { Width = D, Heads = 2, KeySize = 3, ValueSize = 3 };
        using var attention = new LinearFastWeightSequenceLayer(acc, "attn", options, B, T);
        using var x = acc.Allocate1D(Pattern((long)B * T * D, 1));
        using var y = acc.Allocate1D(Enumerable.Repeat(7f, B * T * D).ToArray());
        using var bad = acc.Allocate1D<float>(attention.StateLength(B) - 1);
        var ex = Assert.Throws<ArgumentException>(() =>
            attention.Forward(acc.DefaultStream, y.View, default, default, x.View, bad.View, default, B, T))!;
        Assert.Multiple(() =>
        {
            Assert.That(ex.ParamName, Is.EqualTo("w0"));
            Assert.That(y.GetAsArray1D(), Is.All.EqualTo(7f), "the caller's output is untouched");
        });
    }
}
