using FastWeights.Model.Tasks.Retrieval;
using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Runs;

/// <summary>
/// A checkpoint's metadata read back for a resume (`retrieval train`, `lm train`): each key that is missing or does not
/// parse is one input error naming the option that asked for the resume.
/// </summary>
/// <param name="metadata">The checkpoint's metadata.</param>
/// <param name="option">"--resume FOLDER", the start of every message.</param>
/// <param name="missing">What a missing key says about the checkpoint, e.g. "not a checkpoint of `lm train`".</param>
internal sealed class StoredRun(IReadOnlyDictionary<string, string> metadata, string option, string missing)
{
    /// <summary>The value of <paramref name="key"/>.</summary>
    public string Get(string key) => metadata.TryGetValue(key, out var v) ? v
        : throw new CommandInputException($"{option}: checkpoint metadata lacks '{key}' ({missing}).");

    /// <summary>The integer value of <paramref name="key"/>.</summary>
    public int Int(string key) => int.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int r) ? r : throw Bad(key);

    /// <summary>The 64-bit integer value of <paramref name="key"/>.</summary>
    public long Long(string key) => long.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out long r) ? r : throw Bad(key);

    /// <summary>The floating-point value of <paramref name="key"/>.</summary>
    public double Double(string key) => double.TryParse(Get(key), NumberStyles.Float, CultureInfo.InvariantCulture, out double r) ? r : throw Bad(key);

    /// <summary>The error for a value of <paramref name="key"/> that does not parse.</summary>
    public CommandInputException Bad(string key) => new($"{option}: checkpoint metadata '{key}' = '{Get(key)}' is malformed.");

    /// <summary>The model's architecture, whole (the arch.* keys).</summary>
    public RetrievalModelConfig Architecture()
    {
        try { return RetrievalModelConfig.FromMetadata(metadata); }
        catch (FormatException e) { throw new CommandInputException($"{option}: {e.Message}"); }
        catch (ArgumentException e) { throw new CommandInputException($"{option}: checkpoint metadata: {CommandErrors.WithoutParameterName(e)}"); }
    }

    /// <summary>The learning-rate schedule's shape (train.lr_decay).</summary>
    public LearningRateAnnealing LearningRateSchedule() =>
        ModelOptions.TryParseSchedule(Get("train.lr_decay"), out var schedule) ? schedule : throw Bad("train.lr_decay");

    /// <summary><paramref name="given"/> with every train.* option the checkpoint stores (seed, batch, optimizer, schedule).</summary>
    public TrainingOptions Training(TrainingOptions given, LearningRateAnnealing schedule) => given with
    {
        Seed = Int("train.seed"), BatchSize = Int("train.batch_size"), LearningRate = Double("train.lr"), WarmupSteps = Long("train.warmup"),
        Annealing = schedule, FinalFraction = Double("train.final_lr_fraction"), AnnealingSteps = Long("train.decay_steps"),
        ClipNorm = Double("train.clip"), WeightDecay = Double("train.weight_decay"),
    };
}
