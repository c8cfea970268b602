using FastWeights.Model.Ops;

namespace FastWeights.Tests.Model.Ops;

/// <summary>
/// The per-position loss of the language model: the float32 kernels against the float64
/// <see cref="SequenceCrossEntropyReference"/>, the reference's backward against central differences, ignored positions,
/// the in-place backward, and argument checks.
/// </summary>
/// <remarks>
/// Tolerances. Kernel vs reference, 1e-5 relative L2: the reference runs on the exact float64 values of the float32
/// inputs, so the only error is float32 rounding in a sum of ≤ V exponentials and one log per row (≲ V·u ≈ 4e-6 at
/// V = 70, ~1e-7 typically), while a wrong index, scale or a missing term is O(0.1–1). Reference vs central differences,
/// 1e-6 relative L2 with step 1e-6: the loss is smooth with O(1) third derivatives at these logit scales, so truncation is
/// ~1e-13, and rounding of an O(1) double loss divided by 2e-6 is ~1e-10.
/// </remarks>
public sealed class SequenceCrossEntropyTests
{
    private static ILGPU.Runtime.Accelerator Acc => Devices.Cpu.Accelerator;

    private static int[] Targets(Random rng, int n, int classes, double ignoredFraction) =>
        Enumerable.Range(0, n).Select(_ => rng.NextDouble() < ignoredFraction ? SequenceCrossEntropy.Ignored : rng.Next(classes)).ToArray();

    [TestCase(1, 5, 0.0, 401)]
    [TestCase(2 * 7, 13, 0.2, 402)]
    [TestCase(3 * 11, 70, 0.1, 403)]
    [TestCase(5, 1, 0.0, 404)]
    public void KernelsMatchTheFloat64Reference(int n, int classes, double ignored, int seed)
    {
        var rng = new Random(seed);
        var logits = OpTestData.Uniform(rng, n * classes, 4.0);
        var targets = Targets(rng, n, classes, ignored);
        int scored = Math.Max(1, targets.Count(t => t != SequenceCrossEntropy.Ignored));
        var (lossRef, correctRef) = SequenceCrossEntropyReference.Forward(OpTestData.ToDouble(logits), targets, classes);
        var dRef = SequenceCrossEntropyReference.Backward(OpTestData.ToDouble(logits), targets, classes, 1.0 / scored);

        using var data = new OpTestData(Acc);
        var op = new SequenceCrossEntropy(Acc, "loss", classes);
        var lossBuf = data.Output(n);
        var correctBuf = data.IntOutput(n);
        var logitBuf = data.Upload(logits);
        var targetBuf = data.Upload(targets);
        var dBuf = data.Output(n * classes);
        op.Forward(data.Stream, lossBuf.View, correctBuf.View, logitBuf.View, targetBuf.View, n);
        op.Backward(data.Stream, dBuf.View, logitBuf.View, targetBuf.View, n, 1f / scored);

        var losses = data.Read(lossBuf);
        Assert.That(Tolerance.RelativeL2(losses, lossRef), Is.LessThanOrEqualTo(1e-5), "losses");
        Assert.That(data.Read(correctBuf), Is.EqualTo(correctRef), "correct");
        var d = data.Read(dBuf);
        Assert.That(Tolerance.RelativeL2(d, dRef), Is.LessThanOrEqualTo(1e-5), "dLogits");
        for (int s = 0; s < n; s++)
            if (targets[s] == SequenceCrossEntropy.Ignored)
            {
                Assert.That(losses[s], Is.EqualTo(0.0), $"ignored row {s} has loss 0");
                Assert.That(d.Skip(s * classes).Take(classes), Is.All.EqualTo(0.0), $"ignored row {s} has gradient 0");
            }
    }

    [Test]
    public void BackwardInPlaceOverTheLogitsIsBitIdenticalToOutOfPlace()
    {
        const int N = 9, V = 17;
        var rng = new Random(7);
        var logits = OpTestData.Uniform(rng, N * V, 6.0);
        var targets = Targets(rng, N, V, 0.2);
        using var data = new OpTestData(Acc);
        var op = new SequenceCrossEntropy(Acc, "loss", V);
        var targetBuf = data.Upload(targets);
        var separate = data.Output(N * V);
        var source = data.Upload(logits);
        op.Backward(data.Stream, separate.View, source.View, targetBuf.View, N, 0.125f);
        op.Backward(data.Stream, source.View, source.View, targetBuf.View, N, 0.125f);
        Assert.That(data.ReadFloats(source), Is.EqualTo(data.ReadFloats(separate)));
    }

    [TestCase(1, 4, 21)]
    [TestCase(6, 7, 22)]
    [TestCase(12, 3, 23)]
    public void ReferenceBackwardOfTheMeanLossMatchesCentralDifferences(int n, int classes, int seed)
    {
        var rng = new Random(seed);
        var logits = OpReferenceGradientTests.Uniform(rng, n * classes, 3.0);
        var targets = Targets(rng, n, classes, 0.25);
        if (targets.All(t => t == SequenceCrossEntropy.Ignored)) targets[0] = 0;
        int scored = targets.Count(t => t != SequenceCrossEntropy.Ignored);
        var analytic = SequenceCrossEntropyReference.Backward(logits, targets, classes, 1.0 / scored);
        var numeric = CentralDifferences.Of(logits, () => SequenceCrossEntropyReference.MeanLoss(logits, targets, classes), 1e-6);
        Assert.That(Math.Sqrt(numeric.Sum(v => v * v)), Is.GreaterThan(1e-8), "the finite-difference gradient vanishes");
        Assert.That(Tolerance.RelativeL2(analytic, numeric), Is.LessThanOrEqualTo(1e-6));
    }

    [Test]
    public void BadArgumentsAreRejectedNamingThemBeforeAnyKernelRuns()
    {
        using var data = new OpTestData(Acc);
        var op = new SequenceCrossEntropy(Acc, "loss", 5);
        var losses = data.Output(4);
        var correct = data.IntOutput(4);
        var logits = data.Output(4 * 5);
        var targets = data.Upload(new[] { 0, 1, 2, 3 });
        Assert.That(Assert.Throws<ArgumentException>(() => op.Forward(data.Stream, losses.View, correct.View, logits.View.SubView(0, 19), targets.View, 4))!.ParamName,
            Is.EqualTo("logits"));
        Assert.That(Assert.Throws<ArgumentException>(() => op.Forward(data.Stream, losses.View.SubView(0, 3), correct.View, logits.View, targets.View, 4))!.ParamName,
            Is.EqualTo("losses"));
        Assert.That(Assert.Throws<ArgumentException>(() => op.Backward(data.Stream, logits.View, logits.View, targets.View.SubView(0, 2), 4, 1f))!.ParamName,
            Is.EqualTo("targets"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => op.Backward(data.Stream, logits.View, logits.View, targets.View, 4, float.NaN))!.ParamName,
            Is.EqualTo("scale"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => op.Forward(data.Stream, losses.View, correct.View, logits.View, targets.View, 0))!.ParamName,
            Is.EqualTo("n"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new SequenceCrossEntropy(Acc, "l", 0))!.ParamName, Is.EqualTo("classes"));
        Assert.That(data.ReadFloats(losses), Is.All.EqualTo(123f), "nothing was written");
    }
}
