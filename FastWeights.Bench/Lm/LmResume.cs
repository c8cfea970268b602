using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Model.Models;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Lm;

/// <summary>
/// What a resumed `lm train` run trains with: the architecture, text, split, window, seeds, batch and optimizer options
/// come from the checkpoint, and an option given on the command line that contradicts one of them is refused, naming both
/// values; --steps and --eval-every come from the checkpoint unless given; --time-budget and --accelerator belong to the
/// process (as `retrieval train`'s <see cref="Retrieval.ResumeSettings"/>).
/// </summary>
internal static class LmResume
{
    public static LmSettings Restore(LmSettings given, IReadOnlyDictionary<string, string> m, string option)
    {
        string Get(string key) => m.TryGetValue(key, out var v) ? v
            : throw new CommandInputException($"{option}: checkpoint metadata lacks '{key}' (not a checkpoint of `lm train`).");
        int Int(string key) => int.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int r) ? r : throw Bad(key);
        long Long(string key) => long.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out long r) ? r : throw Bad(key);
        double Dbl(string key) => double.TryParse(Get(key), NumberStyles.Float, CultureInfo.InvariantCulture, out double r) ? r : throw Bad(key);
        CommandInputException Bad(string key) => new($"{option}: checkpoint metadata '{key}' = '{Get(key)}' is malformed.");
        bool Given(string flag) => given.Given.Contains(flag);

        RetrievalModelConfig c;
        try { c = RetrievalModelConfig.FromMetadata(m); }
        catch (FormatException e) { throw new CommandInputException($"{option}: {e.Message}"); }
        catch (ArgumentException e) { throw new CommandInputException($"{option}: checkpoint metadata: {CommandErrors.WithoutParameterName(e)}"); }
        var decay = Get("train.lr_decay") switch
        {
            "constant" => LearningRateDecay.Constant,
            "linear" => LearningRateDecay.Linear,
            "cosine" => LearningRateDecay.Cosine,
            _ => throw Bad("train.lr_decay"),
        };
        string text = Get("data.text");
        var stored = given with
        {
            Kind = c.Kind, Hidden = c.Hidden, Layers = c.Layers, Embedding = c.Embedding, InnerSteps = c.InnerSteps, Decay = c.Decay,
            FastLearningRate = c.FastLearningRate, HyperHidden = c.HyperHidden, HyperEmbedding = c.HyperEmbedding, Heads = c.Heads,
            FeatureMap = c.FeatureMap, FeedForward = c.FeedForward, Window = Int("lm.window"),
            Text = text == LmText.DefaultName ? null : text,
            ValidationFraction = Dbl("data.validation_fraction"), TestFraction = Dbl("data.test_fraction"),
            Training = given.Training with
            {
                Seed = Int("train.seed"), BatchSize = Int("train.batch_size"), LearningRate = Dbl("train.lr"), WarmupSteps = Long("train.warmup"),
                Decay = decay, FinalFraction = Dbl("train.final_lr_fraction"), DecaySteps = Long("train.decay_steps"),
                ClipNorm = Dbl("train.clip"), WeightDecay = Dbl("train.weight_decay"),
            },
            Steps = Given("--steps") ? given.Steps : Long("run.steps"),
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
        Check("--embedding", given.Embedding, stored.Embedding);
        Check("--inner", given.InnerSteps, stored.InnerSteps);
        Check("--decay", given.Decay, stored.Decay);
        Check("--fast-lr", given.FastLearningRate, stored.FastLearningRate);
        Check("--hyper-size", given.HyperHidden, stored.HyperHidden);
        Check("--hyper-embedding", given.HyperEmbedding, stored.HyperEmbedding);
        Check("--heads", given.Heads, stored.Heads);
        Check("--feed-forward", given.FeedForward, stored.FeedForward);
        Check("--window", given.Window, stored.Window);
        Check("--text", given.Text is null ? LmText.DefaultName : Path.GetFullPath(given.Text), text);
        Check("--seed", given.Training.Seed, stored.Training.Seed);
        Check("--batch", given.Training.BatchSize, stored.Training.BatchSize);
        Check("--lr", given.Training.LearningRate, stored.Training.LearningRate);
        Check("--clip", given.Training.ClipNorm, stored.Training.ClipNorm);
        if (conflicts.Count > 0)
            throw new CommandInputException($"{option}: {string.Join("; ", conflicts)} (options that define a run cannot change on resume).");
        if (stored.Training.Decay != LearningRateDecay.Constant && stored.Steps != stored.Training.DecaySteps)
            throw new CommandInputException($"{option}: --steps {stored.Steps} contradicts the checkpoint's {stored.Training.DecaySteps}: its learning-rate schedule decays over that many steps and cannot be extended.");
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
