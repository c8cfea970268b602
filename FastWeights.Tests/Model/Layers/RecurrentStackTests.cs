using FastWeights.Model.Layers;
using FastWeights.Model.Tasks.Retrieval;

namespace FastWeights.Tests.Model.Layers;

/// <summary>
/// <see cref="RecurrentStack"/>: that L stacked layers compute exactly what the same L layers run one after the other by hand
/// (forward, dx and every parameter gradient bit for bit: the stack adds no arithmetic, only buffers), its naming, and the
/// config field behind it.
/// </summary>
public sealed class RecurrentStackTests
{
    private const int B = 3, T = 6, I = 5, H = 7;

    private static RetrievalModelConfig Config(RecurrentKind kind, int layers) =>
        new() { Kind = kind, Hidden = H, Layers = layers, HyperHidden = 4, HyperEmbedding = 2 };

    private static float[] Pattern(long n, int salt)
    {
        var data = new float[n];
        for (long k = 0; k < n; k++) data[k] = 0.5f * MathF.Sin(0.37f * k + salt);
        return data;
    }

    [TestCase(RecurrentKind.FastWeights, 3)]
    [TestCase(RecurrentKind.Lstm, 2)]
    [TestCase(RecurrentKind.HyperLstm, 2)]
    [TestCase(RecurrentKind.GruLn, 2)]
    public void StackEqualsItsLayersRunByHand(RecurrentKind kind, int count)
    {
        var acc = Devices.Cpu.Accelerator;
        var config = Config(kind, count);
        using var stack = (RecurrentStack)RecurrentModules.Create(acc, "recurrent", config.SequenceLayer, I, B, T);
        var single = config with { Layers = 1 };
        var byHand = Enumerable.Range(0, count)
            .Select(l => RecurrentModules.Create(acc, $"hand.{l}", single.SequenceLayer, l == 0 ? I : H, B, T)).ToArray();
        try
        {
            stack.Initialize(new Random(9));
            // The same parameter values in the hand-run layers (same order, same shapes).
            var handParameters = byHand.SelectMany(m => m.Parameters).ToList();
            Assert.That(handParameters.Select(p => p.Value.Length), Is.EqualTo(stack.Parameters.Select(p => p.Value.Length)));
            for (int k = 0; k < handParameters.Count; k++)
                handParameters[k].Value.View.CopyFromCPU(stack.Parameters[k].Value.GetAsArray1D());

            using var x = acc.Allocate1D(Pattern((long)B * T * I, 1));
            using var dy = acc.Allocate1D(Pattern((long)B * T * H, 2));
            using var y = acc.Allocate1D<float>((long)B * T * H);
            using var dx = acc.Allocate1D<float>((long)B * T * I);
            var stream = acc.DefaultStream;
            stack.Forward(stream, y.View, x.View, B, T);
            stack.Backward(stream, dx.View, dy.View, x.View, B, T);

            var ys = Enumerable.Range(0, count).Select(_ => acc.Allocate1D<float>((long)B * T * H)).ToArray();
            var dys = Enumerable.Range(0, count).Select(_ => acc.Allocate1D<float>((long)B * T * H)).ToArray();
            using var handDx = acc.Allocate1D<float>((long)B * T * I);
            try
            {
                for (int l = 0; l < count; l++)
                    byHand[l].Forward(stream, ys[l].View, l == 0 ? x.View : ys[l - 1].View, B, T);
                for (int l = count - 1; l >= 0; l--)
                    byHand[l].Backward(stream, l == 0 ? handDx.View : dys[l - 1].View, l == count - 1 ? dy.View : dys[l].View,
                        l == 0 ? x.View : ys[l - 1].View, B, T);
                stream.Synchronize();
                Assert.Multiple(() =>
                {
                    Assert.That(y.GetAsArray1D(), Is.EqualTo(ys[count - 1].GetAsArray1D()), "y");
                    Assert.That(dx.GetAsArray1D(), Is.EqualTo(handDx.GetAsArray1D()), "dx");
                    for (int k = 0; k < handParameters.Count; k++)
                        Assert.That(stack.Parameters[k].Grad.GetAsArray1D(), Is.EqualTo(handParameters[k].Grad.GetAsArray1D()), stack.Parameters[k].Name);
                });
            }
            finally
            {
                foreach (var b in ys.Concat(dys)) b.Dispose();
            }
        }
        finally
        {
            foreach (var m in byHand) m.Dispose();
        }
    }

    [Test]
    public void LayersAreNamedByIndexAndOneLayerKeepsTheOldNames()
    {
        var acc = Devices.Cpu.Accelerator;
        using var two = RecurrentModules.Create(acc, "recurrent", Config(RecurrentKind.Control, 2).SequenceLayer, I, B, T);
        using var one = RecurrentModules.Create(acc, "recurrent", Config(RecurrentKind.Control, 1).SequenceLayer, I, B, T);
        Assert.Multiple(() =>
        {
            Assert.That(two, Is.TypeOf<RecurrentStack>());
            Assert.That(two.Parameters.Select(p => p.Name), Is.EqualTo(new[] { "recurrent.0.W", "recurrent.0.C", "recurrent.0.b", "recurrent.1.W", "recurrent.1.C", "recurrent.1.b" }));
            Assert.That(one, Is.TypeOf<FastWeightRnnSequenceLayer>());
            Assert.That(one.Parameters.Select(p => p.Name), Is.EqualTo(new[] { "recurrent.W", "recurrent.C", "recurrent.b" }));
        });
    }

    [Test]
    public void LayersRoundTripThroughMetadataAndOldCheckpointsHaveOne()
    {
        var config = Config(RecurrentKind.Lstm, 3);
        var metadata = config.ToMetadata();
        Assert.That(RetrievalModelConfig.FromMetadata(metadata), Is.EqualTo(config));
        metadata.Remove("arch.layers");
        Assert.That(RetrievalModelConfig.FromMetadata(metadata).Layers, Is.EqualTo(1));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => (config with { Layers = 0 }).Validate())!.ParamName, Is.EqualTo("Layers"));
    }

    [Test]
    public void ATwoLayerModelCanMemoriseOneBatch()
    {
        var oneBatch = FastWeights.Model.Tasks.Retrieval.RetrievalDataset.Create(pairs: 2, train: 32, validation: 16, test: 16, seed: 4);
        var config = new RetrievalModelConfig { Kind = RecurrentKind.FastWeights, Hidden = 12, Layers = 2, Embedding = 10, DenseHidden = 16, SequenceLength = 7 };
        using var model = new RetrievalModel(Devices.Cpu.Accelerator, config, 32);
        model.Initialize(1);
        using var trainer = new FastWeights.Model.Tasks.Retrieval.RetrievalTrainer(model, oneBatch,
            new FastWeights.Model.Training.TrainingOptions { BatchSize = 32, LearningRate = 1e-2, Seed = 5 });
        double first = trainer.TrainStep().Loss;
        for (int k = 0; k < 148; k++) trainer.TrainStep();
        var last = trainer.TrainStep();
        Assert.That(last.Loss, Is.LessThan(first / 2), $"loss {first:F4} → {last.Loss:F4}: 150 Adam steps on one batch should at least halve it");
    }
}
