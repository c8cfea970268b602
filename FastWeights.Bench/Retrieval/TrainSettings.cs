using FastWeights.Model.Layers;
using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Retrieval;

/// <summary>Everything `retrieval train` needs, filled from the command line (defaults are the main job's).</summary>
internal sealed record TrainSettings
{
    /// <summary>
    /// The model's architecture, held whole (kind, R, L, S, λ, η, the DPFP sizes); a resume restores it whole from the
    /// checkpoint. Its sequence length is the data's (<see cref="ModelConfig"/>).
    /// </summary>
    public RetrievalModelConfig Architecture { get; init; } = new();
    public int Pairs { get; init; } = 4;
    public int TrainSize { get; init; } = 100_000;
    public int ValidationSize { get; init; } = 10_000;
    public int TestSize { get; init; } = 20_000;
    public int DataSeed { get; init; } = 1;
    public TrainingOptions Training { get; init; } = new();
    /// <summary>Stop after this many steps (in total, counting resumed ones).</summary>
    public long Steps { get; init; } = 20_000;
    /// <summary>Stop when this much wall time has passed in this process (null: no limit).</summary>
    public TimeSpan? TimeBudget { get; init; }
    /// <summary>Evaluate on the validation split (and save a checkpoint) every this many steps.</summary>
    public int EvaluateEvery { get; init; } = 500;
    /// <summary>Stop early once validation accuracy reaches this (null: never).</summary>
    public double? TargetAccuracy { get; init; }
    public string Accelerator { get; init; } = "auto";
    /// <summary>Output folder; null picks runs/retrieval-&lt;model&gt;-R&lt;R&gt;[-n].</summary>
    public string? OutputDirectory { get; init; }
    /// <summary>A checkpoint folder to continue from.</summary>
    public string? Resume { get; init; }
    /// <summary>
    /// The options given explicitly on the command line (e.g. "--lr"); on resume, each of these that defines the run must
    /// agree with the checkpoint. Empty when the settings were not parsed from a command line.
    /// </summary>
    public IReadOnlySet<string> Given { get; init; } = new HashSet<string>();

    /// <summary>The model the run builds: <see cref="Architecture"/> reading sequences of <see cref="Pairs"/> pairs (2K + 3 tokens).</summary>
    public RetrievalModelConfig ModelConfig => Architecture with { SequenceLength = 2 * Pairs + 3 };
}
