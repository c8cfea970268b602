using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Bench.Commands;
using FastWeights.Bench.Cli;
using FastWeights.Bench.Lm;
using FastWeights.Bench.Retrieval;
using FastWeights.Kernels.LinearFastWeights;
using FastWeights.Model.Layers;

namespace FastWeights.Tests.Bench;

/// <summary>
/// The run settings hold the model's architecture whole, so a resume restores every architecture field from the
/// checkpoint (the bug this replaced: fields copied one by one, and `layers` once forgotten). Each test stores an
/// architecture with every field away from the command's default, resumes with no option given, and expects the
/// architecture back unchanged; a contradicting option is still refused naming both values.
/// </summary>
[TestFixture]
public sealed class ResumeArchitectureTests
{
    /// <summary>Every field away from the retrieval and lm defaults (and a kind that uses most of them).</summary>
    private static readonly RetrievalModelConfig Stored = new()
    {
        Kind = RecurrentKind.DpfpSum, Hidden = 12, Layers = 3, Embedding = 9, DenseHidden = 7, InnerSteps = 2, Decay = 0.9,
        FastLearningRate = 0.25, HyperHidden = 5, HyperEmbedding = 3, Vocabulary = 37, Classes = 10, SequenceLength = 2 * 3 + 3,
        Heads = 3, FeatureMap = FeatureMap.Dpfp2, FeedForward = 11,
    };

    /// <summary>What `retrieval train` writes besides the architecture (keys of RetrievalTrainer.Save and TrainRun.Save).</summary>
    private static Dictionary<string, string> RetrievalMetadata()
    {
        var m = Stored.ToMetadata();
        foreach (var (k, v) in new Dictionary<string, string>
                 {
                     ["data.pairs"] = "3", ["data.seed"] = "4", ["data.train_size"] = "500", ["data.validation_size"] = "50", ["data.test_size"] = "60",
                     ["train.seed"] = "5", ["train.batch_size"] = "10", ["train.lr"] = "0.002", ["train.warmup"] = "0", ["train.lr_decay"] = "constant",
                     ["train.final_lr_fraction"] = "0.1", ["train.decay_steps"] = "100", ["train.clip"] = "5", ["train.weight_decay"] = "0",
                     ["run.steps"] = "100", ["run.target_accuracy"] = "none", ["run.eval_every"] = "10",
                 })
            m[k] = v;
        return m;
    }

    [Test]
    public void RetrievalResumeRestoresTheWholeArchitecture()
    {
        var given = RetrievalCommand.Defaults with { Resume = "run" };
        var restored = ResumeSettings.Restore(given, RetrievalMetadata(), "--resume run");
        Assert.Multiple(() =>
        {
            Assert.That(restored.Architecture, Is.EqualTo(Stored), "every field from the checkpoint");
            Assert.That(restored.ModelConfig, Is.EqualTo(Stored), "the model built: the stored architecture at the stored K");
            Assert.That(restored.Pairs, Is.EqualTo(3));
        });
    }

    [Test]
    public void RetrievalResumeRefusesAContradictingLayerCount()
    {
        var given = RetrievalCommand.Defaults with
        {
            Resume = "run", Architecture = RetrievalCommand.Defaults.Architecture with { Layers = 1 }, Given = new HashSet<string> { "--layers" },
        };
        var e = Assert.Throws<CommandInputException>(() => ResumeSettings.Restore(given, RetrievalMetadata(), "--resume run"))!;
        Assert.That(e.Message, Does.Contain("--layers 1 contradicts the checkpoint's 3"));
    }

    [Test]
    public void LmResumeRestoresTheWholeArchitecture()
    {
        // An lm model predicts its own vocabulary over windows of T characters.
        var stored = Stored with { Classes = Stored.Vocabulary, SequenceLength = 9 };
        var m = stored.ToMetadata();
        foreach (var (k, v) in new Dictionary<string, string>
                 {
                     ["lm.window"] = "9", ["data.text"] = "corpus.txt", ["data.validation_fraction"] = "0.05", ["data.test_fraction"] = "0.05",
                     ["train.seed"] = "5", ["train.batch_size"] = "4", ["train.lr"] = "0.002", ["train.warmup"] = "0", ["train.lr_decay"] = "constant",
                     ["train.final_lr_fraction"] = "0.1", ["train.decay_steps"] = "100", ["train.clip"] = "1", ["train.weight_decay"] = "0",
                     ["run.steps"] = "100", ["run.eval_every"] = "10",
                 })
            m[k] = v;
        var restored = LmResume.Restore(new LmSettings { Resume = "run" }, m, "--resume run");
        Assert.Multiple(() =>
        {
            Assert.That(restored.Architecture, Is.EqualTo(stored), "every field from the checkpoint");
            Assert.That(restored.Window, Is.EqualTo(9));
            Assert.That(restored.ModelConfig(stored.Vocabulary), Is.EqualTo(stored), "the model built: the stored architecture over the stored window");
        });
    }
}
