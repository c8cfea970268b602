using FastWeights.Bench.Reporting;

namespace FastWeights.Tests.Bench.Commands;

/// <summary>`retrieval train`, `eval`, `sample` end to end on a tiny run (CPU accelerator, small splits).</summary>
public sealed class RetrievalCommandTests() : CliFixture("fw-retrieval-")
{
    private static readonly string[] Tiny =
        ["--hidden", "8", "--steps", "30", "--eval-every", "15", "--batch", "16", "--train-size", "800", "--val-size", "100", "--test-size", "100", "--accelerator", "cpu"];

    [Test]
    public void TrainWritesMetricsPlotAndCheckpointThenEvalAndSampleReadThem()
    {
        string run = Path.Combine(root, "fw");
        var (code, output, error) = Invoke(["retrieval", "train", "--out", run, .. Tiny]);
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("test accuracy").And.Contain("plot: ").And.Contain("checkpoint: "));

        var rows = MetricsLog.Load(Path.Combine(run, MetricsLog.FileName));
        Assert.That(rows.Select(r => r.Step), Is.EqualTo(new long[] { 15, 30 }));
        Assert.That(rows.All(r => r.ValidationAccuracy is >= 0 and <= 1), "every row of this run is an evaluation row");
        var png = File.ReadAllBytes(Path.Combine(run, "training.png"));
        Assert.That(png.Take(8), Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }));
        Assert.That(File.Exists(Path.Combine(run, "checkpoint", "model.safetensors")));
        Assert.That(File.Exists(Path.Combine(run, "checkpoint", "optimizer.safetensors")));

        var eval = Invoke("retrieval", "eval", "--checkpoint", run, "--accelerator", "cpu");
        Assert.That(eval.Code, Is.EqualTo(0), eval.Err);
        Assert.That(eval.Out, Does.Match(@"test accuracy \d+\.\d\d% \(loss \d+\.\d+\) on 100 examples"));

        var sample = Invoke("retrieval", "sample", "--checkpoint", run, "--count", "4", "--accelerator", "cpu");
        Assert.That(sample.Code, Is.EqualTo(0), sample.Err);
        var lines = sample.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(5));
        Assert.That(lines[0], Does.Match(@"^[a-z][0-9][a-z][0-9][a-z][0-9][a-z][0-9]\?\?[a-z] → [0-9]   \(target [0-9]\) (ok|WRONG)$"));
    }

    [Test]
    public void ResumeContinuesTheRunAndAppendsToItsMetrics()
    {
        string run = Path.Combine(root, "resume");
        Assert.That(Invoke(["retrieval", "--out", run, .. Tiny]).Code, Is.EqualTo(0));
        var (code, output, error) = Invoke("retrieval", "--resume", run, "--steps", "45", "--eval-every", "15", "--accelerator", "cpu",
            "--train-size", "800", "--val-size", "100", "--test-size", "100");
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("resumed at step 30"));
        Assert.That(MetricsLog.Load(Path.Combine(run, MetricsLog.FileName)).Select(r => r.Step), Is.EqualTo(new long[] { 15, 30, 45 }));
    }

    [Test]
    public void CancellationSavesACheckpointAndReportsTheInterruption()
    {
        // What Ctrl-C does: the handler cancels the token; the loop stops, saves and still reports.
        string run = Path.Combine(root, "interrupted");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var settings = FastWeights.Bench.Commands.RetrievalCommand.Defaults with
        {
            Architecture = FastWeights.Bench.Commands.RetrievalCommand.Defaults.Architecture with { Hidden = 8 }, TrainSize = 800, ValidationSize = 100, TestSize = 100, Accelerator = "cpu", OutputDirectory = run,
            Training = FastWeights.Bench.Commands.RetrievalCommand.Defaults.Training with { BatchSize = 16 },
        };
        var output = new StringWriter();
        var outcome = FastWeights.Bench.Retrieval.TrainRun.Execute(settings, output, cancelled.Token,
            new PlainProgressReporter(TextWriter.Null));
        Assert.That(outcome.Interrupted, Is.True);
        Assert.That(output.ToString(), Does.Contain("interrupted at step 0; checkpoint saved."));
        Assert.That(File.Exists(Path.Combine(run, "checkpoint", "model.safetensors")));
    }

    [TestCase("dpfp-delta")]
    [TestCase("dpfp-sum")]
    public void DpfpModelsTrainAndEvalReadsTheirArchitectureFromTheCheckpoint(string model)
    {
        string run = Path.Combine(root, model);
        var (code, output, error) = Invoke(["retrieval", "train", "--out", run, .. Tiny, "--model", model,
            "--heads", "4", "--feature-map", "dpfp2", "--feed-forward", "12"]);
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain($"retrieval: {model} R=8 heads=4 φ=dpfp2 F=12"));
        var metadata = FastWeights.Model.Training.Checkpoint.ReadMetadata(Path.Combine(run, "checkpoint"));
        Assert.That((metadata["arch.kind"], metadata["arch.heads"], metadata["arch.feature_map"], metadata["arch.feed_forward"]),
            Is.EqualTo((model, "4", "dpfp2", "12")));

        // eval takes no architecture options: a wrong rebuild would fail to load the checkpoint's tensors.
        var eval = Invoke("retrieval", "eval", "--checkpoint", run, "--accelerator", "cpu");
        Assert.That(eval.Code, Is.EqualTo(0), eval.Err);
        Assert.That(eval.Out, Does.Contain($"{model} R=8"));
    }

    /// <summary>`retrieval train --model gru-ln` trains, checkpoints its kind, and eval rebuilds the GRU-LN from the checkpoint.</summary>
    [Test]
    public void GruLnTrainsAndEvalReadsItsKindFromTheCheckpoint()
    {
        string run = Path.Combine(root, "gru-ln");
        var (code, output, error) = Invoke(["retrieval", "train", "--out", run, .. Tiny, "--model", "gru-ln"]);
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("retrieval: gru-ln R=8"));
        var metadata = FastWeights.Model.Training.Checkpoint.ReadMetadata(Path.Combine(run, "checkpoint"));
        Assert.That(metadata["arch.kind"], Is.EqualTo("gru-ln"));

        // eval takes no architecture options: a wrong rebuild would fail to load the checkpoint's tensors.
        var eval = Invoke("retrieval", "eval", "--checkpoint", run, "--accelerator", "cpu");
        Assert.That(eval.Code, Is.EqualTo(0), eval.Err);
        Assert.That(eval.Out, Does.Contain("gru-ln R=8"));
    }

    [TestCase("--feature-map", "dpfp9", "--feature-map")]
    [TestCase("--heads", "3", "Heads")]
    [TestCase("--lr-decay", "sometimes", "--lr-decay")]
    [TestCase("--lr", "-1", "LearningRate")]
    [TestCase("--model", "lstm", "--model")]
    [TestCase("--time-budget", "soon", "--time-budget")]
    [TestCase("--steps", "0", "--steps")]
    public void BadOptionsFailWithOneLine(string option, string value, string named)
    {
        // The DPFP options are checked only for a dpfp model; the others fail for any model.
        string[] model = option is "--heads" ? ["--model", "dpfp-sum"] : [];
        var (code, _, error) = Invoke(["retrieval", "train", .. Tiny, .. model, option, value]);
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(error, Does.Contain(named));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1), error);
    }

    [Test]
    public void EvalOfAMissingCheckpointFailsClearly()
    {
        var (code, _, error) = Invoke("retrieval", "eval", "--checkpoint", Path.Combine(root, "nothing-here"), "--accelerator", "cpu");
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(error, Does.Contain("--checkpoint"));
    }
}
