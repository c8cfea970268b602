using System.Diagnostics;
using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Bench.Reporting;
using FastWeights.Bench.Runs;
using FastWeights.Kernels.Core;
using FastWeights.Model.Distributed;
using FastWeights.Model.Layers;
using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Retrieval;

/// <summary>
/// `retrieval train`: builds the data and the model, trains with a progress display, evaluates on the
/// validation split regularly (saving a checkpoint each time), and ends with the test accuracy, the wall
/// time, metrics.csv and a plot. Ctrl-C (the token) stops after the current step and saves a checkpoint.
/// Run folder layout: checkpoint/ (model.safetensors, optimizer.safetensors; saved as one unit, see
/// <see cref="Checkpoint"/>), metrics.csv, training.png, and run.lock while a process trains in it (<see cref="RunLock"/>).
/// A step-0 checkpoint is saved at the start, so a fresh run folder is resumable at once. A step whose loss or gradient
/// is not finite stops the run with an error; the last good checkpoint is kept, never overwritten by a diverged state.
/// Under mpirun (an <see cref="ICollective"/> of N ranks, docs/distributed.md) every rank trains its slice of each global
/// batch; only rank 0 touches the run folder (lock, checkpoints, metrics, plot) and prints; the checkpoint records N and
/// a resume with another N is refused.
/// </summary>
internal static class TrainRun
{
    private const int ReportEvery = 50;

    /// <summary>What a finished run measured.</summary>
    public sealed record Outcome(string RunDirectory, long Steps, double ValidationAccuracy, double TestAccuracy, double WallSeconds, StopReason Stop)
    {
        /// <summary>True when Ctrl-C stopped the run.</summary>
        public bool Interrupted => Stop == StopReason.Interrupted;
    }

    /// <summary>The stopping rule in words, e.g. "99% validation accuracy (checked every 500 steps) or 20000 steps".</summary>
    public static string DescribeStop(TrainSettings s) =>
        (s.TargetAccuracy is { } a ? $"{a * 100:G4}% validation accuracy (checked every {s.EvaluateEvery} steps) or " : "")
        + $"{s.Steps} steps" + (s.TimeBudget is { } t ? $" or {t.TotalSeconds:F0} s of wall time" : "");

    public static Outcome Execute(TrainSettings settings, TextWriter stdout, CancellationToken cancel, IProgressReporter? reporter = null,
        ICollective? collective = null)
    {
        var wall = Stopwatch.StartNew();
        using var lease = new RunLease();
        return Execute(settings, stdout, cancel, reporter, collective ?? SingleProcess.Instance, wall, lease);
    }

    private static Outcome Execute(TrainSettings settings, TextWriter stdout, CancellationToken cancel, IProgressReporter? reporter,
        ICollective collective, Stopwatch wall, RunLease lease)
    {
        bool root = collective.Rank == 0;
        // Resuming takes everything that defines the run from the checkpoint, so the run continues exactly. The run
        // folder is locked first, so that a checkpoint another process is still writing is never read.
        var stored = lease.Resume(settings.Resume, lockFolder: root);
        string? resumeRun = lease.ResumeRun, resumeCheckpoint = lease.ResumeCheckpoint;
        if (stored is not null)
        {
            settings = ResumeSettings.Restore(settings, stored, $"--resume {settings.Resume}");
            // The ranks take other slices of each batch with another N, and the gradients are summed in another order:
            // the run would go on, but no longer bit-exactly as it started, which is what a resume promises.
            int storedRanks = stored.TryGetValue(RetrievalTrainer.RanksKey, out string? ranksText)
                && int.TryParse(ranksText, NumberStyles.Integer, CultureInfo.InvariantCulture, out int parsed) ? parsed : 1;
            if (storedRanks != collective.Size)
                throw new CommandInputException($"--resume {settings.Resume}: the run was trained with {Ranks(storedRanks)} and this is {Ranks(collective.Size)}: "
                    + $"resume it with the same number (mpirun -np {storedRanks}{(storedRanks == 1 ? ", or without mpirun" : "")}) so that it continues exactly.");
        }
        Validate(settings);
        if (settings.Training.BatchSize % collective.Size != 0)
            throw new CommandInputException($"--batch {settings.Training.BatchSize} does not split evenly over {Ranks(collective.Size)}: give a multiple of {collective.Size}.");
        var config = settings.ModelConfig;
        config.Validate();
        string runDirectory = resumeRun ?? settings.OutputDirectory ?? RunFolder.Fresh($"retrieval-{RetrievalModelConfig.KindName(config.Kind)}-R{config.Hidden}");
        if (resumeRun is null && root) RunFolder.RequireNoRunIn(runDirectory);
        string checkpointDirectory = Path.Combine(runDirectory, RunFolder.CheckpointFolder);
        string metricsPath = Path.Combine(runDirectory, MetricsLog.FileName);

        // Everything that can be refused is checked before the run folder is touched.
        var data = RetrievalDataset.Create(settings.Pairs, settings.TrainSize, settings.ValidationSize, settings.TestSize, settings.DataSeed);
        using var device = DeviceOptions.OpenDevice(settings.Accelerator, SweepSchedule.Auto);
        // A lower bound of what the model allocates: per layer, the R×R recurrent matrices — one for the RNN kinds, the
        // four gates' for the LSTMs, the three blocks' for the GRU, the q, k, v projections for the DPFP block — with their gradients and Adam's two
        // moments (16 bytes per weight). A size far beyond memory is refused here, before the OS would kill the process
        // touching memory it overcommitted; one near the limit that still fails to allocate is caught below.
        string sizeOptions = $"--hidden {config.Hidden} --layers {config.Layers} (parameters, gradients and Adam's moments)";
        int squareMatrices = config.Kind switch
        {
            RecurrentKind.Lstm or RecurrentKind.HyperLstm => 4,
            RecurrentKind.GruLn => 3,
            RecurrentKind.DpfpDelta or RecurrentKind.DpfpSum => 3,
            _ => 1,
        };
        double lowerBound = 16.0 * squareMatrices * config.Layers * config.Hidden * (double)config.Hidden;
        ResourceCheck.RequireDeviceFits(device, lowerBound >= long.MaxValue ? long.MaxValue : (long)lowerBound, sizeOptions);
        using var model = ResourceCheck.Allocating(() => new RetrievalModel(device.Accelerator, config, settings.Training.BatchSize / collective.Size), sizeOptions);
        model.Initialize(settings.Training.Seed);
        using var trainer = ResourceCheck.Allocating(() => new RetrievalTrainer(model, data, settings.Training, collective), sizeOptions);
        lease.Restore($"--resume {settings.Resume}", trainer.Resume);

        bool created = lease.Create(runDirectory, lockFolder: root);
        return Train(settings, config, data, device.Describe(), model, trainer, runDirectory, checkpointDirectory, metricsPath,
            lease, created, wall, stdout, cancel, reporter, collective);
    }

    private static string Ranks(int n) => n == 1 ? "1 process" : $"{n} ranks";

    private static Outcome Train(TrainSettings settings, RetrievalModelConfig config, RetrievalSplits data, string deviceName, RetrievalModel model,
        RetrievalTrainer trainer, string runDirectory, string checkpointDirectory, string metricsPath, RunLease lease, bool created,
        Stopwatch wall, TextWriter stdout, CancellationToken cancel, IProgressReporter? reporter, ICollective collective)
    {
        bool root = collective.Rank == 0;
        string? resumeCheckpoint = lease.ResumeCheckpoint;
        double elapsedBefore = 0;
        MetricsLog? metrics = null;
        long lastSaved;
        if (!root)
        {
            // Only rank 0 touches the run folder; the others train, evaluate their share and stay silent.
            stdout = TextWriter.Null;
            reporter = new PlainProgressReporter(TextWriter.Null);
            lastSaved = trainer.Step;
        }
        else
        {
            // A fresh run saves step 0 at once: the folder is a resumable run from the start, and a run that diverges
            // before its first validation still keeps a good checkpoint (its initial weights).
            metrics = lease.OpenMetrics(runDirectory, metricsPath, trainer.Step, $"--resume {settings.Resume}", created,
                () => Save(trainer, checkpointDirectory, settings), out elapsedBefore);
            lastSaved = resumeCheckpoint is not null ? trainer.Step : 0;
        }

        // S, λ and η belong to the fast-weight RNN kernels; the other kinds report their own sizes instead.
        string sizes = config.Kind switch
        {
            RecurrentKind.Lstm or RecurrentKind.GruLn => "",
            RecurrentKind.HyperLstm => $" N_h={config.HyperHidden} N_z={config.HyperEmbedding}",
            RecurrentKind.DpfpDelta or RecurrentKind.DpfpSum => $" heads={config.Heads} φ={RetrievalModelConfig.MapName(config.FeatureMap)} F={config.FeedForward}",
            _ => $" S={config.InnerSteps} λ={Num(config.Decay)} η={Num(config.FastLearningRate)}",
        } + (config.Layers > 1 ? $" layers={config.Layers}" : "");
        string fallback = resumeCheckpoint is not null && Path.GetFileName(resumeCheckpoint) != RunFolder.CheckpointFolder
            ? $" from {Path.GetFileName(resumeCheckpoint)} (the last save was interrupted)" : "";
        stdout.WriteLine($"retrieval: {RetrievalModelConfig.KindName(config.Kind)} R={config.Hidden}{sizes} "
            + $"K={settings.Pairs} on {deviceName}, schedule {model.Recurrent.Schedule.ToString().ToLowerInvariant()}; "
            + $"batch {settings.Training.BatchSize}, lr {Num(settings.Training.LearningRate)}; data {data.Train.Count}/{data.Validation.Count}/{data.Test.Count}"
            + (resumeCheckpoint is not null ? $"; resumed at step {trainer.Step}{fallback}" : "")
            + (collective.Size > 1 ? $"; data parallel over {collective.Size} ranks ({collective.Description.Split(',')[0]}), {settings.Training.BatchSize / collective.Size} examples each" : "")
            + $"; run folder {runDirectory}");
        stdout.WriteLine($"stops at {DescribeStop(settings)}");

        double lastValidation = double.NaN;
        var loop = new TrainingLoop<EvaluationResult>(settings.Steps, settings.TimeBudget, settings.EvaluateEvery, ReportEvery)
        {
            Step = () => trainer.Step,
            TrainStep = trainer.TrainStep,
            Validate = () => trainer.Evaluate(data.Validation),
            Save = () => { if (root) Save(trainer, checkpointDirectory, settings); },
            Scores = v => (v.Loss, v.Accuracy),
            Report = (sink, last, record, val, stepsPerSecond) =>
            {
                if (val is { } v) lastValidation = v.Accuracy;
                sink.Report(last.Step, settings.Steps, new ProgressStats(record.TrainLoss, record.TrainAccuracy,
                    double.IsNaN(lastValidation) ? null : lastValidation, stepsPerSecond, last.LearningRate));
                if (val is { } w)
                    sink.Log($"step {last.Step}: validation loss {w.Loss:F4}, accuracy {w.Accuracy * 100:F2}% ({elapsedBefore + wall.Elapsed.TotalSeconds:F0} s)");
            },
            ReachedTarget = (sink, val) =>
            {
                if (settings.TargetAccuracy is { } target && val is { } v && v.Accuracy >= target)
                {
                    sink.Log($"validation accuracy {v.Accuracy * 100:F2}% reached the target {target * 100:F1}%: stopping.");
                    return true;
                }
                return false;
            },
        };
        (var stop, lastSaved) = loop.Run(reporter ?? ProgressReporter.ForConsole(everySteps: 500), metrics, lastSaved, checkpointDirectory,
            wall, elapsedBefore, cancel, collective);

        // Final state: a checkpoint of the last step, validation and test accuracy, the plot.
        if (trainer.Step != lastSaved && root) Save(trainer, checkpointDirectory, settings);
        var validation = trainer.Evaluate(data.Validation);
        var test = trainer.Evaluate(data.Test);
        string plotPath = Path.Combine(runDirectory, RunFolder.PlotFile);
        if (root) RunPlot.Save(plotPath, MetricsLog.Load(metricsPath), $"{RetrievalModelConfig.KindName(config.Kind)} R={config.Hidden}, K={settings.Pairs}");
        double seconds = elapsedBefore + wall.Elapsed.TotalSeconds;
        stdout.WriteLine(stop.Describe(trainer.Step, settings.TimeBudget, settings.TargetAccuracy));
        stdout.WriteLine($"validation accuracy {validation.Accuracy * 100:F2}%  test accuracy {test.Accuracy * 100:F2}%  (loss {test.Loss:F4})  after {trainer.Step} steps, wall time {seconds:F0} s");
        RunFolder.PrintPaths(stdout, plotPath, checkpointDirectory, metricsPath);
        return new Outcome(runDirectory, trainer.Step, validation.Accuracy, test.Accuracy, seconds, stop);
    }

    /// <summary>Saves the trainer's state with the run's stopping rule, so that a resume continues with the same rule.</summary>
    private static void Save(RetrievalTrainer trainer, string checkpointDirectory, TrainSettings settings) =>
        trainer.Save(checkpointDirectory, new Dictionary<string, string>
        {
            ["run.steps"] = settings.Steps.ToString(CultureInfo.InvariantCulture),
            ["run.target_accuracy"] = settings.TargetAccuracy is { } t ? t.ToString("R", CultureInfo.InvariantCulture) : "none",
            ["run.eval_every"] = settings.EvaluateEvery.ToString(CultureInfo.InvariantCulture),
        });

    /// <summary>Checks every option before anything is allocated or written; one message naming the option.</summary>
    private static void Validate(TrainSettings settings)
    {
        RunSettings.Validate(settings.Training, settings.Steps, settings.EvaluateEvery);
        if (settings.TargetAccuracy is { } goal && !(goal > 0 && goal <= 1))
            throw new CommandInputException($"--target-accuracy must be a fraction in (0, 1], got {goal}.");
        if (settings.TrainSize < settings.Training.BatchSize)
            throw new CommandInputException($"--train-size {settings.TrainSize} is smaller than one batch (--batch {settings.Training.BatchSize}).");
        if (settings.ValidationSize < 1) throw new CommandInputException($"--val-size must be ≥ 1, got {settings.ValidationSize}.");
        if (settings.TestSize < 1) throw new CommandInputException($"--test-size must be ≥ 1, got {settings.TestSize}.");
        if (settings.Pairs is < 1 or > 26) throw new CommandInputException($"--pairs must be in 1..26, got {settings.Pairs}.");
        // The splits live in host memory (tokens, targets and the set that keeps sequences distinct); refuse sizes that
        // cannot fit before generating them instead of failing with an out-of-memory error minutes later.
        long examples = (long)settings.TrainSize + settings.ValidationSize + settings.TestSize;
        long bytes = examples * DataBytesPerExample(settings.Pairs);
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (bytes > available / 2)
            throw new CommandInputException($"--train-size/--val-size/--test-size: {examples} examples need about {bytes} bytes of host memory, "
                + $"more than half of the {available} bytes available.");
    }

    /// <summary>Host bytes per generated example, an upper estimate: 2K+3 int tokens, the target, and the distinctness set's entry.</summary>
    internal static long DataBytesPerExample(int pairs) => (2L * pairs + 3 + 1) * sizeof(int) + 64;

    private static string Num(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
