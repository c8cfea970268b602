using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Bench.Runs;
using FastWeights.Model.Tasks.Retrieval;
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
        var run = new StoredRun(m, option, "not a checkpoint of `retrieval train`, or from an older version");
        RetrievalModelConfig architecture = run.Architecture();
        LearningRateAnnealing schedule = run.LearningRateSchedule();
        string target = run.Get("run.target_accuracy");
        double? storedTarget = target == "none" ? null
            : double.TryParse(target, NumberStyles.Float, CultureInfo.InvariantCulture, out double t) ? t : throw run.Bad("run.target_accuracy");
        bool Given(string flag) => given.Given.Contains(flag);

        var stored = given with
        {
            Architecture = architecture,
            Pairs = run.Int("data.pairs"), DataSeed = run.Int("data.seed"),
            TrainSize = run.Int("data.train_size"), ValidationSize = run.Int("data.validation_size"), TestSize = run.Int("data.test_size"),
            Training = run.Training(given.Training, schedule),
            Steps = Given("--steps") ? given.Steps : run.Long("run.steps"),
            TargetAccuracy = Given("--target-accuracy") ? given.TargetAccuracy : storedTarget,
            EvaluateEvery = Given("--eval-every") ? given.EvaluateEvery : run.Int("run.eval_every"),
        };

        var conflicts = new ResumeConflicts(given.Given);
        conflicts.Check(given.Architecture, stored.Architecture, "--model", "--hidden", "--layers", "--inner", "--decay", "--fast-lr", "--heads", "--feature-map", "--feed-forward");
        conflicts.Check("--pairs", given.Pairs, stored.Pairs);
        conflicts.Check("--data-seed", given.DataSeed, stored.DataSeed);
        conflicts.Check("--train-size", given.TrainSize, stored.TrainSize);
        conflicts.Check("--val-size", given.ValidationSize, stored.ValidationSize);
        conflicts.Check("--test-size", given.TestSize, stored.TestSize);
        conflicts.Check(given.Training, stored.Training, "--seed", "--batch", "--lr", "--warmup", "--lr-decay", "--final-lr-fraction", "--clip", "--weight-decay");
        conflicts.ThrowIfAny(option, "options that define a run cannot change on resume; docs/cli.md lists those that can");
        if (Given("--out") && given.OutputDirectory is { } o && given.Resume is { } r
            && Path.GetFullPath(o).TrimEnd('/') != Path.GetFullPath(RunFolder.Of(r)).TrimEnd('/'))
            throw new CommandInputException($"{option}: --out {o} contradicts the run folder being resumed, {RunFolder.Of(r)} (a resumed run stays in its folder).");

        // The schedule's length is part of the run: a linear or cosine decay over N steps, resumed with another --steps,
        // would follow another curve than the run it continues, so it is refused rather than silently changed.
        if (stored.Training.Annealing != LearningRateAnnealing.Constant && stored.Steps != stored.Training.AnnealingSteps)
            throw new CommandInputException($"{option}: --steps {stored.Steps} contradicts the checkpoint's {stored.Training.AnnealingSteps}: "
                + $"its {ResumeConflicts.Text(stored.Training.Annealing.ToString().ToLowerInvariant())} learning-rate schedule decays over {stored.Training.AnnealingSteps} steps and cannot be extended exactly "
                + "(only a constant schedule can be resumed with more steps).");
        return stored;
    }
}
