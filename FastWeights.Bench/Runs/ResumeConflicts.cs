using FastWeights.Model.Tasks.Retrieval;
using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Runs;

/// <summary>
/// The options given on a resume's command line that contradict the checkpoint: each is listed as "--flag mine
/// contradicts the checkpoint's theirs", in the order checked, and all are refused together in one line.
/// </summary>
/// <param name="given">The options given explicitly on the command line; an option not given never conflicts.</param>
internal sealed class ResumeConflicts(IReadOnlySet<string> given)
{
    private readonly List<string> conflicts = [];

    /// <summary>The architecture flags and how each reads its value from a model config.</summary>
    private static readonly Dictionary<string, Func<RetrievalModelConfig, object>> ArchitectureFlags = new()
    {
        ["--model"] = c => RetrievalModelConfig.KindName(c.Kind),
        ["--hidden"] = c => c.Hidden,
        ["--layers"] = c => c.Layers,
        ["--embedding"] = c => c.Embedding,
        ["--inner"] = c => c.InnerSteps,
        ["--decay"] = c => c.Decay,
        ["--fast-lr"] = c => c.FastLearningRate,
        ["--hyper-size"] = c => c.HyperHidden,
        ["--hyper-embedding"] = c => c.HyperEmbedding,
        ["--heads"] = c => c.Heads,
        ["--feature-map"] = c => RetrievalModelConfig.MapName(c.FeatureMap),
        ["--feed-forward"] = c => c.FeedForward,
    };

    /// <summary>The training flags and how each reads its value from the training options.</summary>
    private static readonly Dictionary<string, Func<TrainingOptions, object>> TrainingFlags = new()
    {
        ["--seed"] = t => t.Seed,
        ["--batch"] = t => t.BatchSize,
        ["--lr"] = t => t.LearningRate,
        ["--warmup"] = t => t.WarmupSteps,
        ["--lr-decay"] = t => t.Annealing.ToString().ToLowerInvariant(),
        ["--final-lr-fraction"] = t => t.FinalFraction,
        ["--clip"] = t => t.ClipNorm,
        ["--weight-decay"] = t => t.WeightDecay,
    };

    /// <summary>Records a conflict when <paramref name="flag"/> was given and its value differs from the checkpoint's.</summary>
    public void Check(string flag, object? mine, object? theirs)
    {
        string a = Text(mine), b = Text(theirs);
        if (given.Contains(flag) && a != b) conflicts.Add($"{flag} {a} contradicts the checkpoint's {b}");
    }

    /// <summary>Checks the architecture <paramref name="flags"/>, in that order.</summary>
    public void Check(RetrievalModelConfig mine, RetrievalModelConfig theirs, params string[] flags)
    {
        foreach (string flag in flags)
            Check(flag, ArchitectureFlags[flag](mine), ArchitectureFlags[flag](theirs));
    }

    /// <summary>Checks the training <paramref name="flags"/>, in that order.</summary>
    public void Check(TrainingOptions mine, TrainingOptions theirs, params string[] flags)
    {
        foreach (string flag in flags)
            Check(flag, TrainingFlags[flag](mine), TrainingFlags[flag](theirs));
    }

    /// <summary>Refuses the resume when any conflict was recorded: "OPTION: a; b (HINT)."</summary>
    public void ThrowIfAny(string option, string hint)
    {
        if (conflicts.Count > 0)
            throw new CommandInputException($"{option}: {string.Join("; ", conflicts)} ({hint}).");
    }

    /// <summary>A value as the messages print it (doubles round-trip, invariant culture, null as "none").</summary>
    public static string Text(object? value) => value switch
    {
        null => "none",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
