using FastWeights.Bench.Cli;
using FastWeights.Bench.Runs;
using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Lm;

/// <summary>
/// What a resumed `lm train` run trains with: the architecture, text, split, window, seeds, batch and optimizer options
/// come from the checkpoint, and an option given on the command line that contradicts one of them is refused, naming both
/// values; --steps and --eval-every come from the checkpoint unless given; --time-budget and --accelerator belong to the
/// process (as `retrieval train`'s resume; both read the checkpoint with <see cref="StoredRun"/>).
/// </summary>
internal static class LmResume
{
    public static LmSettings Restore(LmSettings given, IReadOnlyDictionary<string, string> m, string option)
    {
        var run = new StoredRun(m, option, "not a checkpoint of `lm train`");
        bool Given(string flag) => given.Given.Contains(flag);

        RetrievalModelConfig architecture = run.Architecture();
        LearningRateAnnealing schedule = run.LearningRateSchedule();
        string text = run.Get("data.text");
        var stored = given with
        {
            Architecture = architecture, Window = run.Int("lm.window"),
            Text = text == LmText.DefaultName ? null : text,
            ValidationFraction = run.Double("data.validation_fraction"), TestFraction = run.Double("data.test_fraction"),
            Training = run.Training(given.Training, schedule),
            Steps = Given("--steps") ? given.Steps : run.Long("run.steps"),
            EvaluateEvery = Given("--eval-every") ? given.EvaluateEvery : run.Int("run.eval_every"),
        };

        var conflicts = new ResumeConflicts(given.Given);
        conflicts.Check(given.Architecture, stored.Architecture, "--model", "--hidden", "--layers", "--embedding", "--inner", "--decay", "--fast-lr",
            "--hyper-size", "--hyper-embedding", "--heads", "--feed-forward");
        conflicts.Check("--window", given.Window, stored.Window);
        conflicts.Check("--text", given.Text is null ? LmText.DefaultName : Path.GetFullPath(given.Text), text);
        conflicts.Check(given.Training, stored.Training, "--seed", "--batch", "--lr", "--clip");
        conflicts.ThrowIfAny(option, "options that define a run cannot change on resume");
        if (stored.Training.Annealing != LearningRateAnnealing.Constant && stored.Steps != stored.Training.AnnealingSteps)
            throw new CommandInputException($"{option}: --steps {stored.Steps} contradicts the checkpoint's {stored.Training.AnnealingSteps}: its learning-rate schedule decays over that many steps and cannot be extended.");
        return stored;
    }
}
