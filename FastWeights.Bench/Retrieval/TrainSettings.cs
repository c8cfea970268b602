using FastWeights.Kernels.LinearFastWeights;
using FastWeights.Model.Layers;
using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Retrieval;

/// <summary>Everything `retrieval train` needs, filled from the command line (defaults are the main job's).</summary>
internal sealed record TrainSettings
{
    public RecurrentKind Kind { get; init; } = RecurrentKind.FastWeights;
    public int Hidden { get; init; } = 50;
    /// <summary>L, stacked sequence layers of the same kind.</summary>
    public int Layers { get; init; } = 1;
    public int InnerSteps { get; init; } = 1;
    public double Decay { get; init; } = 0.95;
    public double FastLearningRate { get; init; } = 0.5;
    /// <summary>Heads of the DPFP block (dpfp kinds).</summary>
    public int Heads { get; init; } = 2;
    /// <summary>φ of the DPFP block's memory (dpfp kinds).</summary>
    public FeatureMap FeatureMap { get; init; } = FeatureMap.Dpfp1;
    /// <summary>Feed-forward width of the DPFP block (dpfp kinds).</summary>
    public int FeedForward { get; init; } = 100;
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

    public RetrievalModelConfig ModelConfig => new()
    {
        Kind = Kind, Hidden = Hidden, Layers = Layers, InnerSteps = InnerSteps, Decay = Decay, FastLearningRate = FastLearningRate,
        Heads = Heads, FeatureMap = FeatureMap, FeedForward = FeedForward,
        SequenceLength = 2 * Pairs + 3,
    };
}
