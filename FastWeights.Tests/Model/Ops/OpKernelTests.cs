using FastWeights.Model.Ops;

namespace FastWeights.Tests.Model.Ops;

/// <summary>
/// The float32 op kernels against the float64 references on the ILGPU CPU accelerator, with random inputs
/// and sizes that include N = 1 and are not powers of two. Outputs are pre-filled with garbage to show they
/// are overwritten (the memory contract), and gradients are checked to be bit-identical run to run.
/// </summary>
/// <remarks>
/// Why 1e-5 relative L2 for forward and gradients: the references run on the exact float64 values of the
/// float32 inputs, so the only error is float32 rounding inside the kernels. Every output element is a sum
/// of at most ~40 products (or one exp/log per element for the softmax), each rounding with u ≈ 6e-8, so the
/// error is ≲ 40·u ≈ 2.4e-6 in the worst case and ~1e-7 typically; 1e-5 leaves margin while a wrong index,
/// a missing term or a wrong scale gives O(1e-1..1). Copies (Embedding forward, LastStep) are exact.
/// ReLU cases keep every pre-activation ≥ 1e-4 from 0 so float32 and float64 agree on the mask.
/// </remarks>
public class OpKernelTests : AcceleratorFixture
{
    /// <summary>Relative L2 tolerance (see the remarks); CUDA overrides it for its approximate exp/log.</summary>
    protected virtual double Tol => 1e-5;

    private const double KinkMargin = 1e-4;

    private void AssertClose(string name, double[] actual, double[] expected)
    {
        double err = Tolerance.RelativeL2(actual, expected);
        Assert.That(err, Is.LessThanOrEqualTo(Tol), $"{name}: relL2={err:E2}");
    }

    private static void AssertBitIdentical(string name, float[] first, float[] second) =>
        Assert.That(second.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(first.Select(BitConverter.SingleToInt32Bits)), name);

    [Test]
    public void ParametersAreNamedModuleDotParamInAFixedOrder()
    {
        using var dense = new Dense(Acc, "head", 3, 5, DenseActivation.Relu);
        using var embedding = new Embedding(Acc, "embed", 7, 4);
        Assert.That(dense.Parameters.Select(p => (p.Name, p.ShapeText)), Is.EqualTo(new[] { ("head.weight", "[5,3]"), ("head.bias", "[5]") }));
        Assert.That(embedding.Parameters.Select(p => (p.Name, p.ShapeText)), Is.EqualTo(new[] { ("embed.weight", "[7,4]") }));
    }

    // ------------------------------------------------------------------ Dense

    [TestCase(1, 3, 5, false, 101)]
    [TestCase(1, 4, 3, true, 102)]
    [TestCase(7, 13, 6, false, 103)]
    [TestCase(7, 13, 6, true, 104)]
    [TestCase(33, 10, 17, true, 105)]
    public void DenseMatchesReference(int n, int inputs, int outputs, bool relu, int seed)
    {
        var problem = OpTestData.DenseProblem(seed, n, inputs, outputs);
        float[] w = OpTestData.ToFloat(problem.W), b = OpTestData.ToFloat(problem.B), x = OpTestData.ToFloat(problem.X), dy = OpTestData.ToFloat(problem.Dy);
        double[] wd = OpTestData.ToDouble(w), bd = OpTestData.ToDouble(b), xd = OpTestData.ToDouble(x), dyd = OpTestData.ToDouble(dy);
        if (relu)
            Assert.That(OpReferences.DensePreActivation(wd, bd, xd, n, inputs, outputs).Min(Math.Abs), Is.GreaterThan(KinkMargin),
                "a pre-activation sits at the ReLU kink; pick another seed");
        var yRef = OpReferences.DenseForward(wd, bd, xd, n, inputs, outputs, relu);
        var (dWRef, dbRef, dxRef) = OpReferences.DenseBackward(wd, xd, yRef, dyd, n, inputs, outputs, relu);

        using var data = new OpTestData(Acc);
        using var dense = new Dense(Acc, "dense", inputs, outputs, relu ? DenseActivation.Relu : DenseActivation.None);
        dense.Weight.Upload(w);
        dense.Bias.Upload(b);
        dense.Weight.Grad.CopyFromCPU(OpTestData.Filled(dense.Weight.Length, 123f));
        dense.Bias.Grad.CopyFromCPU(OpTestData.Filled(dense.Bias.Length, 123f));
        var xBuf = data.Upload(x);
        var yBuf = data.Output(n * outputs);
        var dyBuf = data.Upload(dy);
        var dxBuf = data.Output(n * inputs);

        dense.Forward(data.Stream, yBuf.View, xBuf.View, n);
        AssertClose("y", data.Read(yBuf), yRef);

        dense.Backward(data.Stream, dxBuf.View, dyBuf.View, xBuf.View, yBuf.View, n);
        data.Stream.Synchronize();
        var dW1 = dense.Weight.DownloadGrad();
        var db1 = dense.Bias.DownloadGrad();
        var dx1 = data.ReadFloats(dxBuf);
        AssertClose("dW", OpTestData.ToDouble(dW1), dWRef);
        AssertClose("db", OpTestData.ToDouble(db1), dbRef);
        AssertClose("dx", OpTestData.ToDouble(dx1), dxRef);

        // Again, without dx: the parameter gradients are bit-identical, dx is left alone.
        dense.Backward(data.Stream, default, dyBuf.View, xBuf.View, yBuf.View, n);
        data.Stream.Synchronize();
        AssertBitIdentical("dW run to run", dW1, dense.Weight.DownloadGrad());
        AssertBitIdentical("db run to run", db1, dense.Bias.DownloadGrad());
        dense.Backward(data.Stream, dxBuf.View, dyBuf.View, xBuf.View, yBuf.View, n);
        AssertBitIdentical("dx run to run", dx1, data.ReadFloats(dxBuf));
    }

    // ------------------------------------------------------------------ Embedding

    [TestCase(1, 5, 3, 201)]
    [TestCase(9, 7, 6, 202)]   // N > V: tokens repeat
    [TestCase(40, 13, 11, 203)]
    public void EmbeddingMatchesReference(int n, int vocabulary, int dimension, int seed)
    {
        var rng = new Random(seed);
        var weight = OpTestData.Uniform(rng, vocabulary * dimension, 1.0);
        var tokens = Enumerable.Range(0, n).Select(_ => rng.Next(vocabulary)).ToArray();
        var dOut = OpTestData.Uniform(rng, n * dimension, 1.0);
        var outRef = OpReferences.EmbeddingForward(OpTestData.ToDouble(weight), tokens, vocabulary, dimension);
        var gradRef = OpReferences.EmbeddingBackward(OpTestData.ToDouble(dOut), tokens, vocabulary, dimension);

        using var data = new OpTestData(Acc);
        using var embedding = new Embedding(Acc, "embedding", vocabulary, dimension);
        embedding.Weight.Upload(weight);
        embedding.Weight.Grad.CopyFromCPU(OpTestData.Filled(embedding.Weight.Length, 123f));
        var tokBuf = data.Upload(tokens);
        var outBuf = data.Output(n * dimension);
        var dOutBuf = data.Upload(dOut);

        embedding.Forward(data.Stream, outBuf.View, tokBuf.View, n);
        AssertClose("output", data.Read(outBuf), outRef);

        embedding.Backward(data.Stream, dOutBuf.View, tokBuf.View, n);
        data.Stream.Synchronize();
        var grad1 = embedding.Weight.DownloadGrad();
        AssertClose("dWeight", OpTestData.ToDouble(grad1), gradRef);

        embedding.Backward(data.Stream, dOutBuf.View, tokBuf.View, n);
        data.Stream.Synchronize();
        AssertBitIdentical("dWeight run to run", grad1, embedding.Weight.DownloadGrad());
    }

    [Test]
    public void EmbeddingIgnoresTokensOutOfRange()
    {
        const int V = 4, D = 3;
        int[] tokens = [-1, V, 2, int.MaxValue, int.MinValue, 2];
        var rng = new Random(5);
        var weight = OpTestData.Uniform(rng, V * D, 1.0);
        var dOut = OpTestData.Uniform(rng, tokens.Length * D, 1.0);

        using var data = new OpTestData(Acc);
        using var embedding = new Embedding(Acc, "embedding", V, D);
        embedding.Weight.Upload(weight);
        var tokBuf = data.Upload(tokens);
        var outBuf = data.Output(tokens.Length * D);
        embedding.Forward(data.Stream, outBuf.View, tokBuf.View, tokens.Length);
        Assert.That(data.Read(outBuf), Is.EqualTo(OpReferences.EmbeddingForward(OpTestData.ToDouble(weight), tokens, V, D)));

        embedding.Backward(data.Stream, data.Upload(dOut).View, tokBuf.View, tokens.Length);
        data.Stream.Synchronize();
        AssertClose("dWeight", OpTestData.ToDouble(embedding.Weight.DownloadGrad()),
            OpReferences.EmbeddingBackward(OpTestData.ToDouble(dOut), tokens, V, D));
    }

    // ------------------------------------------------------------------ LastStep

    [TestCase(1, 1, 3)]
    [TestCase(3, 5, 7)]
    [TestCase(2, 9, 13)]
    public void LastStepMatchesReference(int batch, int time, int hidden)
    {
        var rng = new Random(batch * 100 + time);
        var sequence = OpTestData.Uniform(rng, batch * time * hidden, 1.0);
        var dOut = OpTestData.Uniform(rng, batch * hidden, 1.0);

        using var data = new OpTestData(Acc);
        var op = new LastStep(Acc, "last");
        var outBuf = data.Output(batch * hidden);
        var dSeqBuf = data.Output(batch * time * hidden);
        op.Forward(data.Stream, outBuf.View, data.Upload(sequence).View, batch, time, hidden);
        op.Backward(data.Stream, dSeqBuf.View, data.Upload(dOut).View, batch, time, hidden);

        Assert.That(data.Read(outBuf), Is.EqualTo(OpReferences.LastStepForward(OpTestData.ToDouble(sequence), batch, time, hidden)));
        Assert.That(data.Read(dSeqBuf), Is.EqualTo(OpReferences.LastStepBackward(OpTestData.ToDouble(dOut), batch, time, hidden)));
    }

    // ------------------------------------------------------------------ LayerNorm

    [TestCase(1, 3, 0.0, 401)]
    [TestCase(7, 13, 0.0, 402)]
    [TestCase(33, 17, 4.0, 403)]   // shifted rows: the two-pass variance must not cancel
    public void LayerNormMatchesReference(int n, int width, double shift, int seed)
    {
        const double eps = 1e-5;
        var rng = new Random(seed);
        var g = OpTestData.Uniform(rng, width, 1.0);
        var b = OpTestData.Uniform(rng, width, 0.5);
        var x = OpTestData.Uniform(rng, n * width, 1.0).Select(v => v + (float)shift).ToArray();
        var dy = OpTestData.Uniform(rng, n * width, 1.0);
        double[] gd = OpTestData.ToDouble(g), bd = OpTestData.ToDouble(b), xd = OpTestData.ToDouble(x), dyd = OpTestData.ToDouble(dy);
        var yRef = OpReferences.LayerNormForward(gd, bd, xd, n, width, eps);
        var (dgRef, dbRef, dxRef) = OpReferences.LayerNormBackward(gd, xd, dyd, n, width, eps);

        using var data = new OpTestData(Acc);
        using var norm = new LayerNorm(Acc, "norm", width, eps);
        Assert.That(norm.Gain.Download(), Is.All.EqualTo(1f), "gain starts at 1");
        norm.Gain.Upload(g);
        norm.Bias.Upload(b);
        norm.Gain.Grad.CopyFromCPU(OpTestData.Filled(width, 123f));
        norm.Bias.Grad.CopyFromCPU(OpTestData.Filled(width, 123f));
        var xBuf = data.Upload(x);
        var yBuf = data.Output(n * width);
        var statsBuf = data.Output(2 * n);
        var dxBuf = data.Output(n * width);
        var dyBuf = data.Upload(dy);

        norm.Forward(data.Stream, yBuf.View, statsBuf.View, xBuf.View, n);
        AssertClose("y", data.Read(yBuf), yRef);
        norm.Backward(data.Stream, dxBuf.View, dyBuf.View, xBuf.View, statsBuf.View, n);
        data.Stream.Synchronize();
        var dg1 = norm.Gain.DownloadGrad();
        var dx1 = data.ReadFloats(dxBuf);
        AssertClose("dgain", OpTestData.ToDouble(dg1), dgRef);
        AssertClose("dbias", OpTestData.ToDouble(norm.Bias.DownloadGrad()), dbRef);
        AssertClose("dx", OpTestData.ToDouble(dx1), dxRef);

        norm.Backward(data.Stream, dxBuf.View, dyBuf.View, xBuf.View, statsBuf.View, n);
        data.Stream.Synchronize();
        AssertBitIdentical("dgain run to run", dg1, norm.Gain.DownloadGrad());
        AssertBitIdentical("dx run to run", dx1, data.ReadFloats(dxBuf));
    }

    // ------------------------------------------------------------------ Add, TokenShift

    [Test]
    public void AddSumsElementwiseAndMayWriteInPlace()
    {
        var rng = new Random(501);
        var a = OpTestData.Uniform(rng, 37, 1.0);
        var b = OpTestData.Uniform(rng, 37, 1.0);
        var expected = a.Zip(b, (p, q) => (double)(p + q)).ToArray(); // one float32 sum each: bit for bit
        using var data = new OpTestData(Acc);
        var op = new Add(Acc, "add");
        var aBuf = data.Upload(a);
        var bBuf = data.Upload(b);
        var outBuf = data.Output(37);
        op.Forward(data.Stream, outBuf.View, aBuf.View, bBuf.View, 37);
        Assert.That(data.Read(outBuf), Is.EqualTo(expected));
        op.Forward(data.Stream, aBuf.View, aBuf.View, bBuf.View, 37);
        Assert.That(data.Read(aBuf), Is.EqualTo(expected), "in place");
    }

    [TestCase(1, 1, 3)]
    [TestCase(3, 5, 7)]
    [TestCase(2, 9, 4)]
    public void TokenShiftMatchesReference(int batch, int time, int width)
    {
        var rng = new Random(batch * 100 + time * 10 + width);
        var x = OpTestData.Uniform(rng, batch * time * width, 1.0);
        var dShifted = OpTestData.Uniform(rng, batch * time * 2 * width, 1.0);

        using var data = new OpTestData(Acc);
        var op = new TokenShift(Acc, "shift");
        var shiftedBuf = data.Output(batch * time * 2 * width);
        var dxBuf = data.Output(batch * time * width);
        op.Forward(data.Stream, shiftedBuf.View, data.Upload(x).View, batch, time, width);
        op.Backward(data.Stream, dxBuf.View, data.Upload(dShifted).View, batch, time, width);

        Assert.That(data.Read(shiftedBuf), Is.EqualTo(OpReferences.TokenShiftForward(OpTestData.ToDouble(x), batch, time, width)), "copies are exact");
        // One float32 sum of two float32 terms per element: the float64 sum rounded to float32, bit for bit.
        var expected = OpReferences.TokenShiftBackward(OpTestData.ToDouble(dShifted), batch, time, width).Select(v => (double)(float)v);
        Assert.That(data.Read(dxBuf), Is.EqualTo(expected));
    }

    // ------------------------------------------------------------------ SoftmaxCrossEntropy

    [TestCase(1, 5, 301)]
    [TestCase(7, 10, 302)]
    [TestCase(31, 3, 303)]
    [TestCase(2, 1, 304)]
    public void SoftmaxCrossEntropyMatchesReference(int n, int classes, int seed)
    {
        var rng = new Random(seed);
        var logits = OpTestData.Uniform(rng, n * classes, 5.0);
        var targets = Enumerable.Range(0, n).Select(_ => rng.Next(classes)).ToArray();
        var (lossRef, pRef, correctRef) = OpReferences.SoftmaxCrossEntropyForward(OpTestData.ToDouble(logits), targets, classes);
        var dRef = OpReferences.SoftmaxCrossEntropyBackward(pRef, targets, classes, 1.0 / n);

        using var data = new OpTestData(Acc);
        var op = new SoftmaxCrossEntropy(Acc, "loss", classes);
        var lossBuf = data.Output(n);
        var pBuf = data.Output(n * classes);
        var correctBuf = data.IntOutput(n);
        var tgtBuf = data.Upload(targets);
        var dBuf = data.Output(n * classes);
        op.Forward(data.Stream, lossBuf.View, pBuf.View, correctBuf.View, data.Upload(logits).View, tgtBuf.View, n);
        op.Backward(data.Stream, dBuf.View, pBuf.View, tgtBuf.View, n, 1f / n);

        AssertClose("losses", data.Read(lossBuf), lossRef);
        AssertClose("probabilities", data.Read(pBuf), pRef);
        Assert.That(data.Read(correctBuf), Is.EqualTo(correctRef), "correct");
        AssertClose("dLogits", data.Read(dBuf), dRef);
    }

    [Test]
    public void SoftmaxCrossEntropyTiesGoToTheLowestIndexAndBackwardMayRunInPlace()
    {
        const int C = 4;
        float[] logits = [1, 3, 3, 0, 2, 2, 2, 2, 1, 3, 3, 0, 2, 2, 2, 2];
        int[] targets = [1, 0, 2, 3];
        using var data = new OpTestData(Acc);
        var op = new SoftmaxCrossEntropy(Acc, "loss", C);
        var pBuf = data.Output(logits.Length);
        var correctBuf = data.IntOutput(targets.Length);
        var tgtBuf = data.Upload(targets);
        op.Forward(data.Stream, data.Output(targets.Length).View, pBuf.View, correctBuf.View, data.Upload(logits).View, tgtBuf.View, targets.Length);
        Assert.That(data.Read(correctBuf), Is.EqualTo(new[] { 1, 1, 0, 0 }));

        var (_, pRef, _) = OpReferences.SoftmaxCrossEntropyForward(OpTestData.ToDouble(logits), targets, C);
        op.Backward(data.Stream, pBuf.View, pBuf.View, tgtBuf.View, targets.Length, 0.25f);
        AssertClose("dLogits in place", data.Read(pBuf), OpReferences.SoftmaxCrossEntropyBackward(pRef, targets, C, 0.25));
    }

    [Test]
    public void SoftmaxCrossEntropyTargetOutOfRangeGivesNaNLossWithoutTouchingOtherMemory()
    {
        const int C = 3;
        float[] logits = [0.5f, -1f, 2f, 1f, 1f, 0f];
        int[] targets = [C, -1];
        using var data = new OpTestData(Acc);
        var op = new SoftmaxCrossEntropy(Acc, "loss", C);
        var lossBuf = data.Output(2);
        var pBuf = data.Output(logits.Length);
        var correctBuf = data.IntOutput(2);
        var tgtBuf = data.Upload(targets);
        var dBuf = data.Output(logits.Length);
        op.Forward(data.Stream, lossBuf.View, pBuf.View, correctBuf.View, data.Upload(logits).View, tgtBuf.View, 2);
        op.Backward(data.Stream, dBuf.View, pBuf.View, tgtBuf.View, 2, 1f);

        Assert.That(data.Read(lossBuf).All(double.IsNaN), Is.True);
        Assert.That(data.Read(correctBuf), Is.EqualTo(new[] { 0, 0 }));
        Assert.That(data.ReadFloats(dBuf), Is.EqualTo(data.ReadFloats(pBuf)), "no one-hot is subtracted");
    }
}
