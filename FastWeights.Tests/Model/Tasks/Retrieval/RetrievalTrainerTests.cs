using FastWeights.Model.Layers;
using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Model.Training;

namespace FastWeights.Tests.Model.Tasks.Retrieval;

/// <summary>The training loop: it learns, it is deterministic, and a resumed run continues bit for bit.</summary>
public sealed class RetrievalTrainerTests
{
    private static readonly RetrievalSplits SmallData = RetrievalDataset.Create(pairs: 2, train: 2000, validation: 200, test: 200, seed: 3);

    private static RetrievalModelConfig Config(RecurrentKind kind) => new()
    {
        Kind = kind, Hidden = 12, Embedding = 10, DenseHidden = 16, SequenceLength = 7,
    };

    private static TrainingOptions Options => new() { BatchSize = 32, LearningRate = 3e-3, Seed = 5 };

    [TestCase(RecurrentKind.FastWeights)]
    [TestCase(RecurrentKind.LayerNormRnn)]
    [TestCase(RecurrentKind.Control)]
    [TestCase(RecurrentKind.Lstm)]
    [TestCase(RecurrentKind.HyperLstm)]
    [TestCase(RecurrentKind.DpfpDelta)]
    [TestCase(RecurrentKind.DpfpSum)]
    [TestCase(RecurrentKind.GruLn)]
    public void EveryModelCanMemoriseOneBatch(RecurrentKind kind)
    {
        // One batch of 32 examples is the whole training split: every model, fast weights or not, should fit it.
        var oneBatch = RetrievalDataset.Create(pairs: 2, train: 32, validation: 16, test: 16, seed: 4);
        using var model = new RetrievalModel(Devices.Cpu.Accelerator, Config(kind), 32);
        model.Initialize(1);
        using var trainer = new RetrievalTrainer(model, oneBatch, Options with { LearningRate = 1e-2 });
        double first = trainer.TrainStep().Loss;
        for (int k = 0; k < 148; k++) trainer.TrainStep();
        var last = trainer.TrainStep();
        TestContext.Out.WriteLine($"{kind}: loss {first:F4} at step 1, {last.Loss:F4} at step 150 (accuracy {last.Accuracy:P0})");
        Assert.That(last.Loss, Is.LessThan(first / 2), "150 Adam steps on one batch should at least halve the loss");
    }

    [Test]
    public void ResumedRunGivesTheSameNextLossAsAnUninterruptedOne()
    {
        using var temp = new TempFolder("fw-resume-");
        string dir = temp.Path;
        double uninterrupted;
        using (var model = new RetrievalModel(Devices.Cpu.Accelerator, Config(RecurrentKind.FastWeights), 32))
        {
            model.Initialize(1);
            using var trainer = new RetrievalTrainer(model, SmallData, Options);
            // 70 steps cross an epoch boundary (62 batches of 32 per epoch), so the data order is exercised too.
            for (int k = 0; k < 70; k++) trainer.TrainStep();
            trainer.Save(dir);
            uninterrupted = trainer.TrainStep().Loss;
        }

        using var resumedModel = new RetrievalModel(Devices.Cpu.Accelerator, Config(RecurrentKind.FastWeights), 32);
        resumedModel.Initialize(99); // different weights: the checkpoint must replace them all
        using var resumed = new RetrievalTrainer(resumedModel, SmallData, Options);
        resumed.Resume(dir);
        Assert.That(resumed.Step, Is.EqualTo(70));
        Assert.That(resumed.TrainStep().Loss, Is.EqualTo(uninterrupted), "bit-identical next loss");
    }

    [Test]
    public void TwoRunsWithTheSameSeedAreIdentical()
    {
        double[] Losses()
        {
            using var model = new RetrievalModel(Devices.Cpu.Accelerator, Config(RecurrentKind.FastWeights), 32);
            model.Initialize(1);
            using var trainer = new RetrievalTrainer(model, SmallData, Options);
            return Enumerable.Range(0, 10).Select(_ => trainer.TrainStep().Loss).ToArray();
        }
        Assert.That(Losses(), Is.EqualTo(Losses()).AsCollection);
    }

    [Test]
    public void MismatchedDataOrBatchIsRejected()
    {
        using var model = new RetrievalModel(Devices.Cpu.Accelerator, Config(RecurrentKind.FastWeights), 16);
        var ex = Assert.Throws<ArgumentException>(() => new RetrievalTrainer(model, SmallData, Options))!;
        Assert.That(ex.ParamName, Is.EqualTo("options"));
        var longer = RetrievalDataset.Create(pairs: 3, train: 500, validation: 50, test: 50, seed: 1);
        Assert.That(() => new RetrievalTrainer(model, longer, Options with { BatchSize = 16 }),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("data"));
    }

    [Test]
    public void ModelRejectsTokensOutOfRange()
    {
        using var model = new RetrievalModel(Devices.Cpu.Accelerator, Config(RecurrentKind.FastWeights), 4);
        var tokens = new int[7];
        tokens[3] = 37;
        Assert.That(() => model.Run(Devices.Cpu.Accelerator.DefaultStream, tokens, new int[1], 1, train: false),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("batchTokens"));
        Assert.That(() => model.Run(Devices.Cpu.Accelerator.DefaultStream, new int[7], new[] { 10 }, 1, train: false),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("batchTargets"));
    }
}
