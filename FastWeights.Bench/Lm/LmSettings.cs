using FastWeights.Kernels.LinearFastWeights;
using FastWeights.Model.Layers;
using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Lm;

/// <summary>Everything `lm train` needs, filled from the command line (docs/lm.md gives the defaults' reasons).</summary>
internal sealed record LmSettings
{
    public RecurrentKind Kind { get; init; } = RecurrentKind.FastWeights;
    public int Hidden { get; init; } = 128;
    public int Layers { get; init; } = 1;
    public int Embedding { get; init; } = 32;
    public int InnerSteps { get; init; } = 1;
    public double Decay { get; init; } = 0.95;
    /// <summary>
    /// η for fw. Not the retrieval task's 0.5: over a long stream A settles at ≈ η·|h|²/(1 − λ) times the recent states, and
    /// with R = 128 tanh units (|h|² ≈ 60) that is hundreds of times the input drive z, which the layer norm then cannot see
    /// past; η = 0.0005 keeps the two comparable (docs/lm.md: after 80 steps, validation 4.71 bits/char with η = 0.02, 3.20
    /// with 0.002, 2.95 with 0.0005).
    /// </summary>
    public double FastLearningRate { get; init; } = 0.0005;
    public int HyperHidden { get; init; } = 64;
    public int HyperEmbedding { get; init; } = 4;
    public int Heads { get; init; } = 4;
    public FeatureMap FeatureMap { get; init; } = FeatureMap.Dpfp1;
    public int FeedForward { get; init; } = 256;
    /// <summary>T, characters per window.</summary>
    public int Window { get; init; } = 128;
    /// <summary>The text file; null for the default corpus.</summary>
    public string? Text { get; init; }
    public double ValidationFraction { get; init; } = 0.05;
    public double TestFraction { get; init; } = 0.05;
    public TrainingOptions Training { get; init; } = new() { BatchSize = 32, LearningRate = 2e-3, ClipNorm = 1.0 };
    public long Steps { get; init; } = 300;
    public TimeSpan? TimeBudget { get; init; }
    public int EvaluateEvery { get; init; } = 100;
    public string Accelerator { get; init; } = "auto";
    public string? OutputDirectory { get; init; }
    public string? Resume { get; init; }
    /// <summary>The options given explicitly on the command line; on resume each that defines the run must agree with the checkpoint.</summary>
    public IReadOnlySet<string> Given { get; init; } = new HashSet<string>();

    /// <summary>The architecture for a vocabulary of <paramref name="vocabulary"/> ids.</summary>
    public RetrievalModelConfig ModelConfig(int vocabulary) => new()
    {
        Kind = Kind, Hidden = Hidden, Layers = Layers, Embedding = Embedding, InnerSteps = InnerSteps, Decay = Decay,
        FastLearningRate = FastLearningRate, HyperHidden = HyperHidden, HyperEmbedding = HyperEmbedding, Heads = Heads,
        FeatureMap = FeatureMap, FeedForward = FeedForward, Vocabulary = vocabulary, Classes = vocabulary, SequenceLength = Window,
        DenseHidden = 1,
    };
}
