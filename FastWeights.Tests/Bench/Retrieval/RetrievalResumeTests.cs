using System.Diagnostics;
using FastWeights.Bench.Commands;
using FastWeights.Bench.Reporting;
using FastWeights.Bench.Retrieval;
using FastWeights.Bench.Runs;
using FastWeights.Model.Training;

namespace FastWeights.Tests.Bench.Retrieval;

/// <summary>
/// `retrieval --resume` restores the run from its checkpoint (architecture, data, optimizer and schedule), refuses
/// contradicting options naming both values, refuses bad checkpoints with one line, and continues bit-exactly;
/// one run per folder; divergence keeps the last good checkpoint; rejected runs leave nothing behind.
/// </summary>
public sealed class RetrievalResumeTests() : CliFixture("fw-resume-")
{
    /// <summary>A run with every run-defining option away from its default, so a resume that forgot one would differ.</summary>
    private static readonly string[] Unusual =
        ["--hidden", "8", "--layers", "2", "--eval-every", "5", "--batch", "16", "--train-size", "800", "--val-size", "100", "--test-size", "100",
         "--lr", "0.005", "--clip", "1", "--warmup", "3", "--weight-decay", "0.01", "--seed", "3", "--data-seed", "2", "--accelerator", "cpu"];

    private static void AssertOneLineError((int Code, string Out, string Err) r, string command, params string[] fragments)
    {
        Assert.That(r.Code, Is.EqualTo(1), r.Err);
        string line = r.Err.TrimEnd('\n', '\r');
        Assert.That(line, Does.StartWith($"{command}: error: "));
        Assert.That(line, Does.Not.Contain("\n"), "one line");
        Assert.That(line, Does.Not.Contain("   at ").And.Not.Contain("Exception"), "no stack trace or exception type");
        foreach (string f in fragments) Assert.That(line, Does.Contain(f));
    }

    private string Trained(string name, int steps, params string[] extra)
    {
        string run = Path.Combine(root, name);
        var r = Invoke(["retrieval", "--out", run, "--steps", steps.ToString(), .. Unusual, .. extra]);
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        return run;
    }

    [Test]
    public void ResumeWithNoOptionsRestoresTheWholeRunAndContinuesBitExactly()
    {
        string whole = Trained("whole", 20);
        string split = Trained("split", 10);
        // Only the folder and the new step limit: layers, sizes, seeds, lr, clip, warm-up and weight decay come from the checkpoint.
        var r = Invoke("retrieval", "--resume", split, "--steps", "20");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Contain("resumed at step 10").And.Contain("data 800/100/100").And.Contain("layers=2").And.Contain("lr 0.005"));
        Assert.That(ModelBits(split), Is.EqualTo(ModelBits(whole)), "10 steps + resume to 20 must equal 20 steps");
        var metadata = Checkpoint.ReadMetadata(Path.Combine(split, "checkpoint"));
        Assert.That((metadata["data.train_size"], metadata["arch.layers"], metadata["train.clip"]), Is.EqualTo(("800", "2", "1")));
        Assert.That(MetricsLog.Load(Path.Combine(split, MetricsLog.FileName)).Select(m => m.Step), Is.EqualTo(new long[] { 5, 10, 15, 20 }));
    }

    [TestCase("--lr", "0.1", "--lr 0.1 contradicts the checkpoint's 0.005")]
    [TestCase("--layers", "1", "--layers 1 contradicts the checkpoint's 2")]
    [TestCase("--hidden", "16", "--hidden 16 contradicts the checkpoint's 8")]
    [TestCase("--train-size", "100000", "--train-size 100000 contradicts the checkpoint's 800")]
    [TestCase("--clip", "5", "--clip 5 contradicts the checkpoint's 1")]
    [TestCase("--lr-decay", "cosine", "--lr-decay cosine contradicts the checkpoint's constant")]
    [TestCase("--model", "rnn-ln", "--model rnn-ln contradicts the checkpoint's fw")]
    [TestCase("--data-seed", "1", "--data-seed 1 contradicts the checkpoint's 2")]
    public void AContradictingOptionIsRefusedNamingBothValues(string option, string value, string message)
    {
        string run = Path.Combine(root, "contradict");
        if (!Directory.Exists(run)) Trained("contradict", 5);
        byte[] before = File.ReadAllBytes(Path.Combine(run, "checkpoint", Checkpoint.ModelFileName));
        AssertOneLineError(Invoke("retrieval", "--resume", run, option, value), "retrieval", message);
        Assert.That(File.ReadAllBytes(Path.Combine(run, "checkpoint", Checkpoint.ModelFileName)), Is.EqualTo(before), "the run is untouched");
    }

    [Test]
    public void AnOptionThatAgreesWithTheCheckpointIsAccepted()
    {
        string run = Trained("agree", 5);
        var r = Invoke("retrieval", "--resume", run, "--steps", "6", "--lr", "0.005", "--layers", "2", "--accelerator", "cpu");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
    }

    [Test]
    public void ADecayingScheduleResumesExactlyButCannotBeExtended()
    {
        string whole = Trained("cosine-whole", 20, "--lr-decay", "cosine");
        // The same 20-step cosine run stopped by Ctrl-C after step 10, then resumed without options:
        string interrupted = Path.Combine(root, "cosine-interrupted");
        using (var cancel = new CancellationTokenSource())
        {
            var settings = RetrievalCommand.Defaults with
            {
                Architecture = RetrievalCommand.Defaults.Architecture with { Hidden = 8, Layers = 2 }, EvaluateEvery = 5, TrainSize = 800, ValidationSize = 100, TestSize = 100, DataSeed = 2, Accelerator = "cpu",
                Steps = 20, OutputDirectory = interrupted,
                Training = RetrievalCommand.Defaults.Training with
                {
                    BatchSize = 16, LearningRate = 0.005, ClipNorm = 1, WarmupSteps = 3, WeightDecay = 0.01, Seed = 3,
                    Annealing = LearningRateAnnealing.Cosine, AnnealingSteps = 20,
                },
            };
            var outcome = TrainRun.Execute(settings, new StringWriter(), cancel.Token, new CancelAt(10, cancel));
            Assert.That((outcome.Interrupted, outcome.Steps), Is.EqualTo((true, 10L)));
        }
        var r = Invoke("retrieval", "--resume", interrupted);
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(r.Out, Does.Contain("resumed at step 10"));
        Assert.That(ModelBits(interrupted), Is.EqualTo(ModelBits(whole)), "the schedule's length comes from the checkpoint");

        AssertOneLineError(Invoke("retrieval", "--resume", whole, "--steps", "40"), "retrieval",
            "--steps 40 contradicts the checkpoint's 20", "cosine", "cannot be extended");
    }

    /// <summary>A progress reporter that cancels the run once step <paramref name="step"/> is reported (what Ctrl-C does).</summary>
    private sealed class CancelAt(long step, CancellationTokenSource cancel) : IProgressReporter
    {
        public void Run(Action<IProgressSink> body) => body(new Sink(step, cancel));

        private sealed class Sink(long step, CancellationTokenSource cancel) : IProgressSink
        {
            public void Report(long s, long total, ProgressStats stats) { if (s >= step) cancel.Cancel(); }
            public void Log(string line) { }
        }
    }

    [Test]
    public void BadCheckpointsAndMetricsAreRefusedWithOneLine()
    {
        string run = Trained("damaged", 5);
        string ckpt = Path.Combine(run, "checkpoint");
        string model = Path.Combine(ckpt, Checkpoint.ModelFileName), optimizer = Path.Combine(ckpt, Checkpoint.OptimizerFileName);
        string metrics = Path.Combine(run, MetricsLog.FileName);
        byte[] goodModel = File.ReadAllBytes(model), goodOptimizer = File.ReadAllBytes(optimizer);
        string goodMetrics = File.ReadAllText(metrics);
        void Restore()
        {
            File.WriteAllBytes(model, goodModel);
            File.WriteAllBytes(optimizer, goodOptimizer);
            File.WriteAllText(metrics, goodMetrics);
        }

        File.Delete(optimizer);
        AssertOneLineError(Invoke("retrieval", "--resume", run), "retrieval", "optimizer.safetensors", "not found");
        Restore();
        File.WriteAllBytes(optimizer, goodOptimizer[..(goodOptimizer.Length - 100)]);
        AssertOneLineError(Invoke("retrieval", "--resume", run), "retrieval", "optimizer.safetensors");
        Restore();
        var flipped = (byte[])goodModel.Clone();
        flipped[^10] ^= 0x10;
        File.WriteAllBytes(model, flipped);
        AssertOneLineError(Invoke("retrieval", "--resume", run), "retrieval", "corrupt");
        AssertOneLineError(Invoke("retrieval", "eval", "--checkpoint", run, "--accelerator", "cpu"), "retrieval", "corrupt");
        Restore();
        // The model of another run (another --hidden) beside this optimizer: a mixed checkpoint.
        string other = Path.Combine(root, "other-hidden");
        Assert.That(Invoke("retrieval", "--out", other, "--hidden", "12", "--steps", "5", "--eval-every", "5", "--batch", "16",
            "--train-size", "800", "--val-size", "100", "--test-size", "100", "--accelerator", "cpu").Code, Is.EqualTo(0));
        File.Copy(Path.Combine(other, "checkpoint", Checkpoint.ModelFileName), model, overwrite: true);
        AssertOneLineError(Invoke("retrieval", "--resume", run), "retrieval");
        Restore();
        File.WriteAllText(metrics, goodMetrics + "8\n");
        AssertOneLineError(Invoke("retrieval", "--resume", run), "retrieval", "metrics.csv");
        Restore();
        Assert.That(Invoke("retrieval", "--resume", run, "--steps", "6").Code, Is.EqualTo(0), "the restored run resumes");
    }

    [Test]
    public void ParseErrorsFollowTheCommandErrorForm()
    {
        AssertOneLineError(Invoke("retrieval", "--hidden", "abc"), "retrieval", "'--hidden'", "as an integer");
        AssertOneLineError(Invoke("retrieval", "train", "--no-such-flag"), "retrieval", "'--no-such-flag'");
        AssertOneLineError(Invoke("layer", "--kind", "rnn"), "layer", "--case", "--out");
        AssertOneLineError(Invoke("retrieval", "--lr", "-1", "--out", Path.Combine(root, "never")), "retrieval", "LearningRate");
        Assert.That(Invoke("retrieval", "--lr", "-1", "--out", Path.Combine(root, "never")).Err, Does.Not.Contain("(Parameter"));
    }

    [TestCase("--val-size", "0", "--val-size must be ≥ 1")]
    [TestCase("--test-size", "0", "--test-size must be ≥ 1")]
    [TestCase("--train-size", "8", "--train-size 8 is smaller than one batch")]
    [TestCase("--train-size", "2000000000", "bytes of host memory")]
    [TestCase("--pairs", "27", "--pairs must be in 1..26")]
    [TestCase("--target-accuracy", "2", "--target-accuracy")]
    [TestCase("--heads", "3", "Heads")]
    [TestCase("--hidden", "46000", "--hidden 46000 --layers 64 (parameters, gradients and Adam's moments) need")]
    public void ARejectedRunLeavesNoFolderBehind(string option, string value, string message)
    {
        string run = Path.Combine(root, "rejected-" + option.TrimStart('-') + value);
        // --hidden 46000 with 64 LSTM layers needs at least 16·4·64·46000² bytes (8.7 TB): refused before allocating.
        string[] model = option == "--heads" ? ["--model", "dpfp-sum"] : option == "--hidden" ? ["--model", "lstm-ln", "--layers", "64"] : [];
        string[] hidden = option == "--hidden" ? [] : ["--hidden", "8"];
        AssertOneLineError(Invoke(["retrieval", "--out", run, .. hidden, "--batch", "16", "--accelerator", "cpu", .. model, option, value]), "retrieval", message);
        Assert.That(Directory.Exists(run), Is.False, "no folder left behind");
    }

    [Test]
    public void ASecondRunIntoTheSameFolderIsRefusedWhileTheFirstLives()
    {
        string run = Path.Combine(root, "locked");
        Directory.CreateDirectory(run);
        using var self = Process.GetCurrentProcess();
        File.WriteAllText(Path.Combine(run, RunLock.FileName), RunLock.Describe(self.Id, self.StartTime));
        AssertOneLineError(Invoke("retrieval", "--out", run, "--hidden", "8", "--steps", "2", "--batch", "16", "--train-size", "800",
            "--val-size", "100", "--test-size", "100", "--accelerator", "cpu"), "retrieval", $"another run (process {self.Id}) is using this folder");
        Assert.That(File.Exists(Path.Combine(run, RunLock.FileName)), "the live lock stays");
        Assert.That(Directory.GetFileSystemEntries(run), Has.Length.EqualTo(1), "nothing written beside it");
    }

    [TestCase("999999999 0")]     // no such process
    [TestCase("SELF_WITH_OTHER_START")] // the id of a live process that started at another time: the id was reused
    [TestCase("12")]             // torn by a kill while it was written
    public void AStaleLockIsReplacedAndRemovedAtTheEnd(string content)
    {
        string run = Path.Combine(root, "stale-" + content.Length);
        Directory.CreateDirectory(run);
        using var self = Process.GetCurrentProcess();
        if (content == "SELF_WITH_OTHER_START") content = RunLock.Describe(self.Id, self.StartTime.AddSeconds(-5));
        File.WriteAllText(Path.Combine(run, RunLock.FileName), content);
        var r = Invoke("retrieval", "--out", run, "--hidden", "8", "--steps", "2", "--batch", "16", "--train-size", "800",
            "--val-size", "100", "--test-size", "100", "--accelerator", "cpu");
        Assert.That(r.Code, Is.EqualTo(0), r.Err);
        Assert.That(File.Exists(Path.Combine(run, RunLock.FileName)), Is.False, "the lock is released when the run ends");
    }

    [Test]
    public void AFreshRunRefusesAFolderThatHoldsARun()
    {
        string run = Trained("occupied", 2);
        AssertOneLineError(Invoke(["retrieval", "--out", run, "--steps", "2", .. Unusual]), "retrieval", "already holds a run", "--resume");
    }

    [Test]
    public void DivergenceStopsWithOneLineAndKeepsTheLastGoodCheckpoint()
    {
        string run = Path.Combine(root, "diverged");
        var r = Invoke("retrieval", "--out", run, "--lr", "1e30", "--hidden", "8", "--steps", "50", "--eval-every", "25", "--batch", "16",
            "--train-size", "800", "--val-size", "100", "--test-size", "100", "--accelerator", "cpu");
        AssertOneLineError(r, "retrieval", "training diverged at step", "the last good checkpoint (step 0) is kept");
        // The kept checkpoint loads and holds finite values (a diverged state is never saved).
        var metadata = Checkpoint.ReadMetadata(Path.Combine(run, "checkpoint"));
        Assert.That(metadata["train.step"], Is.EqualTo("0"));
        var resumed = Invoke("retrieval", "--resume", run, "--lr", "1e30", "--steps", "1");
        Assert.That(resumed.Code, Is.EqualTo(0), resumed.Err + " — one step from the initial weights is still finite");
    }
}
