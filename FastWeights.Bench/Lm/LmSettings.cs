using FastWeights.Model.Layers;
using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Lm;

/// <summary>Everything `lm train` needs, filled from the command line (docs/lm.md gives the defaults' reasons).</summary>
internal sealed record LmSettings
{
    /// <summary>
    /// The model's architecture, held whole (kind, R, L, E, S, λ, η, the HyperLSTM and DPFP sizes); a resume restores it
    /// whole from the checkpoint. Its vocabulary comes from the text and its sequence length is <see cref="Window"/>
    /// (<see cref="ModelConfig"/>). η for fw is not the retrieval task's 0.5: over a long stream A settles at
    /// ≈ η·|h|²/(1 − λ) times the recent states, and with R = 128 tanh units (|h|² ≈ 60) that is hundreds of times the
    /// input drive z, which the layer norm then cannot see past; η = 0.0005 keeps the two comparable (docs/lm.md: after 80
    /// steps, validation 4.71 bits/char with η = 0.02, 3.20 with 0.002, 2.95 with 0.0005).
    /// </summary>
    public RetrievalModelConfig Architecture { get; init; } = new()
    {
        Hidden = 128, Embedding = 32, FastLearningRate = 0.0005, HyperHidden = 64, HyperEmbedding = 4, Heads = 4, FeedForward = 256, DenseHidden = 1,
    };
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

    /// <summary>The model the run builds: <see cref="Architecture"/> for a vocabulary of <paramref name="vocabulary"/> ids and windows of <see cref="Window"/> characters.</summary>
    public RetrievalModelConfig ModelConfig(int vocabulary) => Architecture with { Vocabulary = vocabulary, Classes = vocabulary, SequenceLength = Window };
}
