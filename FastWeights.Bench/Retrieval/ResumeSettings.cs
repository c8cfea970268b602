using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Bench.Runs;
using FastWeights.Model.Models;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Retrieval;

/// <summary>
/// What a resumed run trains with: everything that defines the run (architecture including layers, data seed and
/// sizes, seeds, batch, optimizer and schedule options, the schedule's length) comes from the checkpoint; an option
/// given on the command line that contradicts it is refused, naming both values. The stopping rule (--steps,
/// --target-accuracy, --eval-every) comes from the checkpoint unless given; --time-budget and --accelerator belong to the
/// process. A decaying learning-rate schedule cannot be extended: its length is part of the run.
/// </summary>
internal static class ResumeSettings
{
    /// <summary>The options that may differ from the checkpoint on resume (docs/cli.md lists them).</summary>
    public static readonly IReadOnlySet<string> Changeable = new HashSet<string> { "--steps", "--target-accuracy", "--eval-every", "--time-budget", "--accelerator", "--resume" };

    public static TrainSettings Restore(TrainSettings given, IReadOnlyDictionary<string, string> m, string option)
    {
        string Get(string key) => m.TryGetValue(key, out var v) ? v
            : throw new CommandInputException($"{option}: checkpoint metadata lacks '{key}' (not a checkpoint of `retrieval train`, or from an older version).");
        int Int(string key) => int.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int r) ? r : throw Bad(key);
        long Long(string key) => long.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out long r) ? r : throw Bad(key);
        double Dbl(string key) => double.TryParse(Get(key), NumberStyles.Float, CultureInfo.InvariantCulture, out double r) ? r : throw Bad(key);
        CommandInputException Bad(string key) => new($"{option}: checkpoint metadata '{key}' = '{Get(key)}' is malformed.");

        RetrievalModelConfig config;
        try { config = RetrievalModelConfig.FromMetadata(m); }
        catch (FormatException e) { throw new CommandInputException($"{option}: {e.Message}"); }
        catch (ArgumentException e) { throw new CommandInputException($"{option}: checkpoint metadata: {CommandErrors.WithoutParameterName(e)}"); }

        LearningRateDecay decay = Get("train.lr_decay") switch
        {
            "constant" => LearningRateDecay.Constant,
            "linear" => LearningRateDecay.Linear,
            "cosine" => LearningRateDecay.Cosine,
            _ => throw Bad("train.lr_decay"),
        };
        string target = Get("run.target_accuracy");
        double? storedTarget = target == "none" ? null
            : double.TryParse(target, NumberStyles.Float, CultureInfo.InvariantCulture, out double t) ? t : throw Bad("run.target_accuracy");
        bool Given(string flag) => given.Given.Contains(flag);

        var stored = given with
        {
            Kind = config.Kind, Hidden = config.Hidden, Layers = config.Layers, InnerSteps = config.InnerSteps, Decay = config.Decay,
            FastLearningRate = config.FastLearningRate, Heads = config.Heads, FeatureMap = config.FeatureMap, FeedForward = config.FeedForward,
            Pairs = Int("data.pairs"), DataSeed = Int("data.seed"),
            TrainSize = Int("data.train_size"), ValidationSize = Int("data.validation_size"), TestSize = Int("data.test_size"),
            Training = given.Training with
            {
                Seed = Int("train.seed"), BatchSize = Int("train.batch_size"), LearningRate = Dbl("train.lr"), WarmupSteps = Long("train.warmup"),
                Decay = decay, FinalFraction = Dbl("train.final_lr_fraction"), DecaySteps = Long("train.decay_steps"),
                ClipNorm = Dbl("train.clip"), WeightDecay = Dbl("train.weight_decay"),
            },
            Steps = Given("--steps") ? given.Steps : Long("run.steps"),
            TargetAccuracy = Given("--target-accuracy") ? given.TargetAccuracy : storedTarget,
            EvaluateEvery = Given("--eval-every") ? given.EvaluateEvery : Int("run.eval_every"),
        };

        var conflicts = new List<string>();
        void Check(string flag, object? mine, object? theirs)
        {
            string a = Text(mine), b = Text(theirs);
            if (Given(flag) && a != b) conflicts.Add($"{flag} {a} contradicts the checkpoint's {b}");
        }
        Check("--model", RetrievalModelConfig.KindName(given.Kind), RetrievalModelConfig.KindName(stored.Kind));
        Check("--hidden", given.Hidden, stored.Hidden);
        Check("--layers", given.Layers, stored.Layers);
        Check("--inner", given.InnerSteps, stored.InnerSteps);
        Check("--decay", given.Decay, stored.Decay);
        Check("--fast-lr", given.FastLearningRate, stored.FastLearningRate);
        Check("--heads", given.Heads, stored.Heads);
        Check("--feature-map", RetrievalModelConfig.MapName(given.FeatureMap), RetrievalModelConfig.MapName(stored.FeatureMap));
        Check("--feed-forward", given.FeedForward, stored.FeedForward);
        Check("--pairs", given.Pairs, stored.Pairs);
        Check("--data-seed", given.DataSeed, stored.DataSeed);
        Check("--train-size", given.TrainSize, stored.TrainSize);
        Check("--val-size", given.ValidationSize, stored.ValidationSize);
        Check("--test-size", given.TestSize, stored.TestSize);
        Check("--seed", given.Training.Seed, stored.Training.Seed);
        Check("--batch", given.Training.BatchSize, stored.Training.BatchSize);
        Check("--lr", given.Training.LearningRate, stored.Training.LearningRate);
        Check("--warmup", given.Training.WarmupSteps, stored.Training.WarmupSteps);
        Check("--lr-decay", given.Training.Decay.ToString().ToLowerInvariant(), stored.Training.Decay.ToString().ToLowerInvariant());
        Check("--final-lr-fraction", given.Training.FinalFraction, stored.Training.FinalFraction);
        Check("--clip", given.Training.ClipNorm, stored.Training.ClipNorm);
        Check("--weight-decay", given.Training.WeightDecay, stored.Training.WeightDecay);
        if (conflicts.Count > 0)
            throw new CommandInputException($"{option}: {string.Join("; ", conflicts)} (options that define a run cannot change on resume; docs/cli.md lists those that can).");
        if (Given("--out") && given.OutputDirectory is { } o && given.Resume is { } r
            && Path.GetFullPath(o).TrimEnd('/') != Path.GetFullPath(RunFolder.Of(r)).TrimEnd('/'))
            throw new CommandInputException($"{option}: --out {o} contradicts the run folder being resumed, {RunFolder.Of(r)} (a resumed run stays in its folder).");

        // The schedule's length is part of the run: a linear or cosine decay over N steps, resumed with another --steps,
        // would follow another curve than the run it continues, so it is refused rather than silently changed.
        if (stored.Training.Decay != LearningRateDecay.Constant && stored.Steps != stored.Training.DecaySteps)
            throw new CommandInputException($"{option}: --steps {stored.Steps} contradicts the checkpoint's {stored.Training.DecaySteps}: "
                + $"its {Text(stored.Training.Decay.ToString().ToLowerInvariant())} learning-rate schedule decays over {stored.Training.DecaySteps} steps and cannot be extended exactly "
                + "(only a constant schedule can be resumed with more steps).");
        return stored;
    }

    private static string Text(object? value) => value switch
    {
        null => "none",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
