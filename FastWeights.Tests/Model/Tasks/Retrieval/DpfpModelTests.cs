using FastWeights.Kernels.LinearFastWeights;
using FastWeights.Model.Layers;
using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Model.Training;
using FastWeights.Tests.Model.Layers;
using FastWeights.Tests.Model.Ops;

namespace FastWeights.Tests.Model.Tasks.Retrieval;

/// <summary>
/// The retrieval model with a DPFP block (dpfp-delta, dpfp-sum): its loss and every gradient against the float64 chain
/// of references (each checked against central differences in <see cref="OpReferenceGradientTests"/> and
/// <see cref="DpfpBlockReferenceGradientTests"/>), its configuration in checkpoint metadata, and a checkpoint round trip.
/// </summary>
public sealed class DpfpModelTests
{
    // One head of d = 6: with d = 2, DPFP-1 has exactly one non-zero feature per key, so in a sequence of 5 steps the
    // last query often addresses a column nothing wrote (every attention gradient is then exactly 0) and the normalised
    // φ/Σφ of a single small feature is ill-conditioned in float32 (3e-4 measured on dk).
    private static RetrievalModelConfig Tiny(RecurrentKind kind) => new()
    {
        Kind = kind, Hidden = 6, Heads = 1, Embedding = 3, DenseHidden = 5, FeedForward = 6, SequenceLength = 5,
        FeatureMap = FeatureMap.Dpfp1,
    };

    /// <summary>
    /// Tolerances, relative L2: loss 1e-5, gradients 1e-4, the block's own bars (<see cref="DpfpBlockKernelTests"/>); the
    /// embedding, shift, projections, last step and softmax add a few float32 roundings each. A wrong link in the chain
    /// (a missing dx, a gradient not reaching the embedding) is off by O(1).
    /// </summary>
    [TestCase(RecurrentKind.DpfpDelta, 3)]
    [TestCase(RecurrentKind.DpfpSum, 4)]
    public void LossAndEveryGradientMatchTheFloat64Chain(RecurrentKind kind, int seed)
    {
        var config = Tiny(kind);
        const int B = 3;
        int T = config.SequenceLength, E = config.Embedding, R = config.Hidden, Dh = config.DenseHidden, K = config.Classes, V = config.Vocabulary;
        var rng = new Random(seed);
        var tokens = Enumerable.Range(0, B * T).Select(_ => rng.Next(V)).ToArray();
        var targets = Enumerable.Range(0, B).Select(_ => rng.Next(K)).ToArray();

        using var model = new RetrievalModel(Devices.Cpu.Accelerator, config, B);
        model.Initialize(seed);
        var result = model.Run(Devices.Cpu.Accelerator.DefaultStream, tokens, targets, B, train: true);
        var p = model.Parameters.ToDictionary(q => q.Name, q => OpTestData.ToDouble(q.Download()));
        var grads = model.Parameters.ToDictionary(q => q.Name, q => OpTestData.ToDouble(q.DownloadGrad()));
        Assert.That(p.Keys.Where(k => k.StartsWith("encoder.block.")).Count(), Is.EqualTo(kind == RecurrentKind.DpfpDelta ? 18 : 16));

        var shape = new DpfpBlockShape(B, T, R, config.Heads, R / config.Heads, R / config.Heads, config.FeedForward, config.FeatureMap,
            kind == RecurrentKind.DpfpDelta ? UpdateRule.Delta : UpdateRule.Sum);
        var blockParams = p.Where(kv => kv.Key.StartsWith("encoder.block.")).ToDictionary(kv => kv.Key["encoder.block.".Length..], kv => kv.Value);
        int n = B * T;
        var embedded = OpReferences.EmbeddingForward(p["embedding.weight"], tokens, V, E);
        var shifted = OpReferences.TokenShiftForward(embedded, B, T, E);
        var projected = OpReferences.DenseForward(p["encoder.in.weight"], p["encoder.in.bias"], shifted, n, 2 * E, R, relu: false);
        var states = DpfpBlockReference.Forward(shape, blockParams, projected);
        var last = OpReferences.LastStepForward(states, B, T, R);
        var hidden = OpReferences.DenseForward(p["hidden.weight"], p["hidden.bias"], last, B, R, Dh, relu: true);
        var logits = OpReferences.DenseForward(p["output.weight"], p["output.bias"], hidden, B, Dh, K, relu: false);
        var (losses, probabilities, _) = OpReferences.SoftmaxCrossEntropyForward(logits, targets, K);

        var expected = new Dictionary<string, double[]>();
        var dLogits = OpReferences.SoftmaxCrossEntropyBackward(probabilities, targets, K, 1.0 / B);
        var (dWo, dbo, dHidden) = OpReferences.DenseBackward(p["output.weight"], hidden, logits, dLogits, B, Dh, K, relu: false);
        var (dWh, dbh, dLast) = OpReferences.DenseBackward(p["hidden.weight"], last, hidden, dHidden, B, R, Dh, relu: true);
        var dStates = OpReferences.LastStepBackward(dLast, B, T, R);
        var (blockGrads, dProjected) = DpfpBlockReference.Backward(shape, blockParams, projected, dStates);
        var (dWi, dbi, dShifted) = OpReferences.DenseBackward(p["encoder.in.weight"], shifted, projected, dProjected, n, 2 * E, R, relu: false);
        var dEmbedded = OpReferences.TokenShiftBackward(dShifted, B, T, E);
        expected["embedding.weight"] = OpReferences.EmbeddingBackward(dEmbedded, tokens, V, E);
        (expected["encoder.in.weight"], expected["encoder.in.bias"]) = (dWi, dbi);
        foreach (var (name, g) in blockGrads) expected["encoder.block." + name] = g;
        (expected["hidden.weight"], expected["hidden.bias"], expected["output.weight"], expected["output.bias"]) = (dWh, dbh, dWo, dbo);

        Assert.That(expected.Keys, Is.EquivalentTo(grads.Keys), "every parameter has a reference gradient");
        Assert.Multiple(() =>
        {
            Assert.That(Math.Abs(result.Loss - losses.Average()), Is.LessThanOrEqualTo(1e-5 * losses.Average()), "loss");
            foreach (var (name, g) in grads)
            {
                Assert.That(Math.Sqrt(expected[name].Sum(v => v * v)), Is.GreaterThan(0), $"{name}: a vanishing reference gradient proves nothing");
                Assert.That(Tolerance.RelativeL2(g, expected[name]), Is.LessThanOrEqualTo(1e-4), name);
            }
        });
    }

    [TestCase(RecurrentKind.DpfpDelta)]
    [TestCase(RecurrentKind.DpfpSum)]
    public void CheckpointRoundTripRebuildsTheSameModel(RecurrentKind kind)
    {
        using var temp = new TempFolder("fw-dpfp-");
        string dir = temp.Path;
        var config = Tiny(kind) with { FeatureMap = FeatureMap.Dpfp2, Heads = 2 };
        var rng = new Random(8);
        var tokens = Enumerable.Range(0, 2 * config.SequenceLength).Select(_ => rng.Next(config.Vocabulary)).ToArray();
        int[] targets = [3, 7];
        double before;
        using (var model = new RetrievalModel(Devices.Cpu.Accelerator, config, 2))
        {
            model.Initialize(5);
            before = model.Run(Devices.Cpu.Accelerator.DefaultStream, tokens, targets, 2, train: false).Loss;
            Checkpoint.Save(dir, model, config.ToMetadata(), null);
        }

        var loaded = RetrievalModelConfig.FromMetadata(Checkpoint.ReadMetadata(dir));
        Assert.That(loaded, Is.EqualTo(config), "every architecture field survives the metadata");
        using var restored = new RetrievalModel(Devices.Cpu.Accelerator, loaded, 2);
        restored.Initialize(6);
        Checkpoint.LoadModel(dir, restored);
        double after = restored.Run(Devices.Cpu.Accelerator.DefaultStream, tokens, targets, 2, train: false).Loss;
        Assert.That(after, Is.EqualTo(before), "bit-identical parameters give the identical loss");
    }

    [Test]
    public void MetadataWithoutTheDpfpKeysLoadsWithTheirDefaults()
    {
        var fw = new RetrievalModelConfig { Hidden = 20, Heads = 4, FeedForward = 7, FeatureMap = FeatureMap.Dpfp3 };
        var old = fw.ToMetadata();
        foreach (var key in new[] { "arch.heads", "arch.feature_map", "arch.feed_forward" }) Assert.That(old.Remove(key), key);
        var loaded = RetrievalModelConfig.FromMetadata(old);
        var defaults = new RetrievalModelConfig();
        Assert.That((loaded.Heads, loaded.FeatureMap, loaded.FeedForward), Is.EqualTo((defaults.Heads, defaults.FeatureMap, defaults.FeedForward)));
        Assert.That(loaded with { Heads = 4, FeedForward = 7, FeatureMap = FeatureMap.Dpfp3 }, Is.EqualTo(fw), "the other fields as written");

        var bad = fw.ToMetadata();
        bad["arch.feature_map"] = "dpfp9";
        Assert.That(Assert.Throws<FormatException>(() => RetrievalModelConfig.FromMetadata(bad))!.Message, Does.Contain("arch.feature_map"));
    }

    [Test]
    public void KindNamesRoundTripAndHeadsMustDivideR()
    {
        foreach (var kind in Enum.GetValues<RecurrentKind>())
            Assert.That(RetrievalModelConfig.ParseKind(RetrievalModelConfig.KindName(kind)), Is.EqualTo(kind));
        Assert.That(RetrievalModelConfig.KindName(RecurrentKind.DpfpDelta), Is.EqualTo("dpfp-delta"));
        Assert.That(RetrievalModelConfig.KindName(RecurrentKind.DpfpSum), Is.EqualTo("dpfp-sum"));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => (Tiny(RecurrentKind.DpfpSum) with { Heads = 4 }).Validate());
        Assert.That(e!.ParamName, Is.EqualTo("Heads"));
        Assert.DoesNotThrow(() => (Tiny(RecurrentKind.FastWeights) with { Heads = 4 }).Validate(), "RNN kinds ignore the DPFP fields");
    }
}
