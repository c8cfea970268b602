using FastWeights.Kernels.LinearFastWeights;
using FastWeights.Model.Layers;
using FastWeights.Tests.Model.Ops;

namespace FastWeights.Tests.Model.Layers;

/// <summary>
/// The DPFP block's float32 kernels (<see cref="DpfpBlock"/>: layer norms, projections, the fast-weight memory,
/// feed-forward, residuals) against the float64 <see cref="DpfpBlockReference"/> on the same float32 inputs.
/// </summary>
/// <remarks>
/// Tolerances, relative L2: output 1e-5, dx and every parameter gradient 1e-4 (the bars for the memory alone).
/// The forward chains ~8 ops whose outputs each carry a few float32 roundings (u ≈ 6e-8) of sums of ≲ 20 terms, so
/// its error is ~1e-6; the backward runs the chain twice plus the memory's rebuild by subtraction and divides by the
/// normalisers Σφ + ε and σ, which amplify rounding by their condition number. Measured on the CPU accelerator: output
/// ≤ 1.5e-7, dx ≤ 1.2e-6, every gradient ≤ 3e-6 except the q and k projections under DPFP-3 (≤ 7.3e-5: φ of size 6d
/// sums products of rolled copies whose derivatives cancel); the values are printed. That cancellation makes those
/// two gradients depend on the order of every earlier rounding: the same kernels with the SIMD dense products of the
/// host path (a different but equally exact order of additions) give 2.6e-4 on the DPFP-3 delta case, while every
/// other gradient stays ≤ 4e-6. Their bar is 5e-4; a wrong term in the chain is off by ≥ 1e-2.
/// </remarks>
public class DpfpBlockKernelTests : AcceleratorFixture
{
    /// <summary>Forward tolerance (see the remarks).</summary>
    protected virtual double ForwardTolerance => 1e-5;

    /// <summary>Gradient tolerance (see the remarks).</summary>
    protected virtual double GradientTolerance => 1e-4;

    /// <summary>The q and k projections' gradients under DPFP-3 (see the remarks).</summary>
    protected virtual double Dpfp3QueryKeyTolerance => 5e-4;

    public static IEnumerable<TestCaseData> Shapes()
    {
        foreach (var rule in new[] { UpdateRule.Delta, UpdateRule.Sum })
        {
            yield return new TestCaseData(new DpfpBlockShape(2, 5, 8, 2, 4, 3, 12, FeatureMap.Dpfp1, rule), 51 + (int)rule);
            yield return new TestCaseData(new DpfpBlockShape(3, 7, 6, 3, 2, 2, 9, FeatureMap.Dpfp3, rule), 61 + (int)rule);
        }
        yield return new TestCaseData(new DpfpBlockShape(1, 1, 5, 1, 3, 4, 3, FeatureMap.EluPlusOne, UpdateRule.Delta), 71);
    }

    [TestCaseSource(nameof(Shapes))]
    public void BlockMatchesReference(DpfpBlockShape shape, int seed)
    {
        var (pd, xDrawn, dOutDrawn) = DpfpBlockReference.RandomProblem(shape, seed);
        float[] x = OpTestData.ToFloat(xDrawn), dOut = OpTestData.ToFloat(dOutDrawn);
        // The reference runs on the exact float64 values of the float32 parameters the kernels get.
        var pf = pd.ToDictionary(kv => kv.Key, kv => Array.ConvertAll(kv.Value, v => (float)v));
        var p = pf.ToDictionary(kv => kv.Key, kv => OpTestData.ToDouble(kv.Value));
        double[] xd = OpTestData.ToDouble(x), dOutD = OpTestData.ToDouble(dOut);
        var outRef = DpfpBlockReference.Forward(shape, p, xd);
        var (gradRef, dxRef) = DpfpBlockReference.Backward(shape, p, xd, dOutD);

        var options = new LinearFastWeightSequenceOptions
        {
            Width = shape.Width, Heads = shape.Heads, KeySize = shape.KeySize, ValueSize = shape.ValueSize, FeatureMap = shape.Map, Rule = shape.Rule,
        };
        using var data = new OpTestData(Acc);
        // Buffers sized larger than the call: the block must cut them to (batch, time).
        using var block = new DpfpBlock(Acc, "block", options, shape.FeedForward, shape.Batch + 1, shape.Time + 2);
        Assert.That(block.Parameters.Select(q => q.Name),
            Is.EqualTo(DpfpBlockReference.Parameters(shape).Select(q => "block." + q.Name)), "names and order");
        foreach (var parameter in block.Parameters)
        {
            parameter.Upload(pf[parameter.Name["block.".Length..]]);
            parameter.Grad.CopyFromCPU(OpTestData.Filled(parameter.Length, 123f));
        }
        var xBuf = data.Upload(x);
        var outBuf = data.Output(x.Length);
        var dxBuf = data.Output(x.Length);
        block.Forward(data.Stream, outBuf.View, xBuf.View, shape.Batch, shape.Time);
        block.Backward(data.Stream, dxBuf.View, data.Upload(dOut).View, xBuf.View, shape.Batch, shape.Time);

        var errors = new List<(string Name, double Error, double Bar)>
        {
            ("output", Tolerance.RelativeL2(data.Read(outBuf), outRef), ForwardTolerance),
            ("dx", Tolerance.RelativeL2(data.Read(dxBuf), dxRef), GradientTolerance),
        };
        foreach (var parameter in block.Parameters)
            errors.Add((parameter.Name, Tolerance.RelativeL2(OpTestData.ToDouble(parameter.DownloadGrad()), gradRef[parameter.Name["block.".Length..]]),
                shape.Map == FeatureMap.Dpfp3 && (parameter.Name.StartsWith("block.attn.q.") || parameter.Name.StartsWith("block.attn.k."))
                    ? Dpfp3QueryKeyTolerance : GradientTolerance));
        TestContext.Out.WriteLine(string.Join(", ", errors.Select(e => $"{e.Name} {e.Error:E1}")));
        Assert.Multiple(() =>
        {
            foreach (var (name, error, bar) in errors)
                Assert.That(error, Is.LessThanOrEqualTo(bar), name);
        });
    }

    [Test]
    public void RejectsBadSizesAndViewsNamingTheArgument()
    {
        var options = new LinearFastWeightSequenceOptions { Width = 4, Heads = 2, KeySize = 2, ValueSize = 2 };
        using var data = new OpTestData(Acc);
        using var block = new DpfpBlock(Acc, "block", options, 6, 2, 3);
        var x = data.Output(2 * 3 * 4);
        var output = data.Output(2 * 3 * 4, 42f);
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => block.Forward(data.Stream, output.View, x.View, 3, 3))!.ParamName, Is.EqualTo("batch"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => block.Forward(data.Stream, output.View, x.View, 2, 4))!.ParamName, Is.EqualTo("time"));
        Assert.That(Assert.Throws<ArgumentException>(() => block.Forward(data.Stream, output.View, x.View.SubView(0, 5), 2, 3))!.ParamName, Is.EqualTo("x"));
        Assert.That(Assert.Throws<ArgumentException>(() => block.Backward(data.Stream, default, x.View, x.View, 2, 3))!.ParamName, Is.EqualTo("dx"));
        Assert.That(data.ReadFloats(output), Is.All.EqualTo(42f), "a rejected call queues nothing");
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new DpfpBlock(Acc, "b", options, 0, 2, 3))!.ParamName, Is.EqualTo("feedForward"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new DpfpBlock(Acc, "b", options with { Width = 0 }, 4, 2, 3))!.ParamName, Is.EqualTo("Width"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new DpfpBlock(Acc, "b", options with { Heads = 0 }, 4, 2, 3))!.ParamName, Is.EqualTo("Heads"));
    }
}
