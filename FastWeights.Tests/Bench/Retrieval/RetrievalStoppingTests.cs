using FastWeights.Bench.Commands;
using FastWeights.Bench.Reporting;
using FastWeights.Bench.Retrieval;
using FastWeights.Bench.Runs;

namespace FastWeights.Tests.Bench.Retrieval;

/// <summary>
/// The main job stops on what it is for (a validation accuracy, checked at every validation) or on a step limit,
/// never on wall time unless asked: its result for a seed does not depend on the machine's speed.
/// </summary>
public sealed class RetrievalStoppingTests() : TempFolderFixture("fw-stopping-")
{
    /// <summary>A run of a few seconds that learns something: K = 2, R = 8, lr 0.01, validation every 10 steps.</summary>
    private TrainSettings Tiny(string name) => RetrievalCommand.Defaults with
    {
        Architecture = RetrievalCommand.Defaults.Architecture with { Hidden = 8 }, Pairs = 2, TrainSize = 800, ValidationSize = 100, TestSize = 100, Accelerator = "cpu",
        Steps = 80, EvaluateEvery = 10, OutputDirectory = Path.Combine(root, name),
        Training = RetrievalCommand.Defaults.Training with { BatchSize = 16, LearningRate = 0.01 },
    };

    private static TrainRun.Outcome Run(TrainSettings settings) =>
        TrainRun.Execute(settings, new StringWriter(), CancellationToken.None, new PlainProgressReporter(TextWriter.Null));

    [Test]
    public void TheMainJobStopsOnAccuracyOrStepsAndHasNoTimeBudget()
    {
        Assert.Multiple(() =>
        {
            Assert.That(RetrievalCommand.Defaults.TimeBudget, Is.Null, "the default must not depend on the machine's speed");
            Assert.That(RetrievalCommand.Defaults.TargetAccuracy, Is.EqualTo(0.99));
            Assert.That(RetrievalCommand.Defaults.Steps, Is.EqualTo(20_000), "the safety net for a model that never reaches the target");
            Assert.That(RetrievalCommand.CompareDefaults.TimeBudget, Is.Null);
            Assert.That(RetrievalCommand.CompareDefaults.TargetAccuracy, Is.Null, "compare gives every model the same number of steps");
        });
    }

    [Test]
    public void ATinyRunStopsAtTheFirstValidationThatReachesItsTarget()
    {
        // Run 1: no reachable target (100% of 100 examples is not reached in 80 steps), so it runs to its step limit
        // and records the validation accuracy at steps 10, 20, …, 80.
        var full = Run(Tiny("full") with { TargetAccuracy = 1.0 });
        Assert.That(full.Stop, Is.EqualTo(StopReason.StepLimit));
        Assert.That(full.Steps, Is.EqualTo(80));
        var rows = MetricsLog.Load(Path.Combine(full.RunDirectory, MetricsLog.FileName)).Where(r => r.ValidationAccuracy is not null).ToList();
        Assert.That(rows.Select(r => r.Step), Is.EqualTo(new long[] { 10, 20, 30, 40, 50, 60, 70, 80 }));

        // The target: the first validation (after the first) better than every one before it. The same seeds give the
        // same trajectory, so run 2 must stop exactly there, before its step limit, whatever the time taken.
        int k = Enumerable.Range(1, rows.Count - 1).FirstOrDefault(i => rows[i].ValidationAccuracy > rows.Take(i).Max(r => r.ValidationAccuracy), -1);
        Assert.That(k, Is.GreaterThan(0), "the tiny run is expected to improve on its first validation within 80 steps: "
            + string.Join(", ", rows.Select(r => r.ValidationAccuracy)));
        double target = rows[k].ValidationAccuracy!.Value;

        var stopped = Run(Tiny("target") with { TargetAccuracy = target });
        Assert.Multiple(() =>
        {
            Assert.That(stopped.Stop, Is.EqualTo(StopReason.TargetReached));
            Assert.That(stopped.Steps, Is.EqualTo(rows[k].Step));
            Assert.That(stopped.ValidationAccuracy, Is.EqualTo(target), "the final validation is the one that reached the target");
            var stoppedRows = MetricsLog.Load(Path.Combine(stopped.RunDirectory, MetricsLog.FileName));
            Assert.That(stoppedRows.Select(r => r.ValidationAccuracy), Is.EqualTo(rows.Take(k + 1).Select(r => r.ValidationAccuracy)));
        });
    }

    [Test]
    public void ATimeBudgetStopsOnlyWhenAsked()
    {
        var outcome = Run(Tiny("timed") with { TimeBudget = TimeSpan.FromTicks(1), TargetAccuracy = null });
        Assert.That(outcome.Stop, Is.EqualTo(StopReason.TimeBudget));
        Assert.That(outcome.Steps, Is.LessThan(80));
    }

    [Test]
    public void TheCommandLinePrintsItsStoppingRuleAndWhyItStopped()
    {
        var (code, stdout, stderr) = CliRun.Invoke(["retrieval", "--out", Path.Combine(root, "cli"), "--hidden", "8", "--steps", "20", "--eval-every", "10",
            "--batch", "16", "--train-size", "800", "--val-size", "100", "--test-size", "100", "--accelerator", "cpu"]);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("stops at 99% validation accuracy (checked every 10 steps) or 20 steps"));
        Assert.That(stdout, Does.Contain("stopped at step 20: the step limit (the target 99% was not reached)."));
    }

    [TestCase("1.5")]
    [TestCase("0")]
    [TestCase("soon")]
    public void ABadTargetIsRefusedWithOneLine(string value)
    {
        var stderr = new StringWriter();
        int code = BenchCli.Invoke(["retrieval", "--target-accuracy", value, "--accelerator", "cpu", "--out", Path.Combine(root, "bad")], new StringWriter(), stderr);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(stderr.ToString().Trim(), Does.StartWith("retrieval: error: --target-accuracy").And.Not.Contain("\n"));
    }

    [Test]
    public void CompareGivesEveryModelTheSameStepBudgetAndSaysSo()
    {
        string dir = Path.Combine(root, "compare");
        var (code, stdout, stderr) = CliRun.Invoke(["retrieval", "compare", "--models", "fw,control", "--out", dir, "--hidden", "8", "--steps", "10", "--eval-every", "5",
            "--batch", "16", "--train-size", "800", "--val-size", "100", "--test-size", "100", "--accelerator", "cpu"]);
        Assert.That(code, Is.EqualTo(0), stderr);
        string table = File.ReadAllText(Path.Combine(dir, "table.md"));
        Assert.That(table, Does.StartWith("Budget per model: 10 steps."));
        Assert.That(table, Does.Contain("| fw | 8 | 10 |").And.Contain("| control | 8 | 10 |"));
        Assert.That(stdout, Does.Contain("each with the same budget: 10 steps"));
    }
}
