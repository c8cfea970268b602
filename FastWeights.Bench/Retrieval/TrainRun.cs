using System.Diagnostics;
using System.Globalization;
using FastWeights.Bench.Commands;
using FastWeights.Bench.Reporting;
using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Model.Layers;
using FastWeights.Model.Models;
using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Retrieval;

/// <summary>
/// `retrieval train`: builds the data and the model, trains with a progress display, evaluates on the
/// validation split regularly (saving a checkpoint each time), and ends with the test accuracy, the wall
/// time, metrics.csv and a plot. Ctrl-C (the token) stops after the current step and saves a checkpoint.
/// Run folder layout: checkpoint/ (model.safetensors, optimizer.safetensors), metrics.csv, training.png.
/// </summary>
internal static class TrainRun
{
    public const string CheckpointFolder = "checkpoint";
    public const string PlotFile = "training.png";
    private const int ReportEvery = 50;

    /// <summary>Why a run stopped.</summary>
    public enum StopReason
    {
        /// <summary>A validation reached <see cref="TrainSettings.TargetAccuracy"/>.</summary>
        TargetReached,
        /// <summary>The step limit <see cref="TrainSettings.Steps"/> was reached.</summary>
        StepLimit,
        /// <summary>The optional wall-clock budget <see cref="TrainSettings.TimeBudget"/> ran out.</summary>
        TimeBudget,
        /// <summary>Ctrl-C (the cancellation token).</summary>
        Interrupted,
    }

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

    public static Outcome Execute(TrainSettings settings, TextWriter stdout, CancellationToken cancel, IProgressReporter? reporter = null)
    {
        var wall = Stopwatch.StartNew();
        try { settings.Training.Validate(); }
        catch (ArgumentOutOfRangeException e) { throw new CommandInputException($"training option {e.ParamName}: {e.Message}"); }
        if (settings.Steps < 1) throw new CommandInputException($"--steps must be ≥ 1, got {settings.Steps}.");
        if (settings.EvaluateEvery < 1) throw new CommandInputException($"--eval-every must be ≥ 1, got {settings.EvaluateEvery}.");
        if (settings.TargetAccuracy is { } goal && !(goal > 0 && goal <= 1))
            throw new CommandInputException($"--target-accuracy must be a fraction in (0, 1], got {goal}.");

        // Resuming takes the architecture, data and seeds from the checkpoint, so the run continues exactly.
        string? resumeCheckpoint = null;
        if (settings.Resume is not null)
        {
            resumeCheckpoint = Directory.Exists(Path.Combine(settings.Resume, CheckpointFolder)) ? Path.Combine(settings.Resume, CheckpointFolder) : settings.Resume;
            settings = FromCheckpoint(settings, resumeCheckpoint);
        }
        var config = settings.ModelConfig;
        config.Validate();

        string runDirectory = settings.Resume is not null && resumeCheckpoint != settings.Resume
            ? settings.Resume
            : settings.OutputDirectory ?? FreshRunDirectory(config);
        Directory.CreateDirectory(runDirectory);
        string checkpointDirectory = Path.Combine(runDirectory, CheckpointFolder);

        var data = RetrievalDataset.Create(settings.Pairs, settings.TrainSize, settings.ValidationSize, settings.TestSize, settings.DataSeed);
        using var device = LayerCommand.OpenDevice(settings.Accelerator, SweepSchedule.Auto);
        using var model = new RetrievalModel(device.Accelerator, config, settings.Training.BatchSize);
        model.Initialize(settings.Training.Seed);
        using var trainer = new RetrievalTrainer(model, data, settings.Training);
        double elapsedBefore = 0;
        MetricsLog metrics;
        if (resumeCheckpoint is not null)
        {
            trainer.Resume(resumeCheckpoint);
            string metricsPath = Path.Combine(runDirectory, MetricsLog.FileName);
            metrics = MetricsLog.Resume(metricsPath, keepThroughStep: trainer.Step);
            var earlier = MetricsLog.Load(metricsPath);
            if (earlier.Count > 0) elapsedBefore = earlier[^1].ElapsedSeconds;
        }
        else
        {
            metrics = MetricsLog.Create(Path.Combine(runDirectory, MetricsLog.FileName));
        }

        // S, λ and η belong to the fast-weight RNN kernels; the other kinds report their own sizes instead.
        string sizes = config.Kind switch
        {
            RecurrentKind.Lstm => "",
            RecurrentKind.HyperLstm => $" N_h={config.HyperHidden} N_z={config.HyperEmbedding}",
            RecurrentKind.DpfpDelta or RecurrentKind.DpfpSum => $" heads={config.Heads} φ={RetrievalModelConfig.MapName(config.FeatureMap)} F={config.FeedForward}",
            _ => $" S={config.InnerSteps} λ={Num(config.Decay)} η={Num(config.FastLearningRate)}",
        } + (config.Layers > 1 ? $" layers={config.Layers}" : "");
        stdout.WriteLine($"retrieval: {RetrievalModelConfig.KindName(config.Kind)} R={config.Hidden}{sizes} "
            + $"K={settings.Pairs} on {device.Describe()}, schedule {model.Recurrent.Schedule.ToString().ToLowerInvariant()}; "
            + $"batch {settings.Training.BatchSize}, lr {Num(settings.Training.LearningRate)}; data {data.Train.Count}/{data.Validation.Count}/{data.Test.Count}"
            + (resumeCheckpoint is not null ? $"; resumed at step {trainer.Step}" : "") + $"; run folder {runDirectory}");
        stdout.WriteLine($"stops at {DescribeStop(settings)}");

        var stop = StopReason.StepLimit;
        double lastValidation = double.NaN;
        using (metrics)
        {
            (reporter ?? ProgressReporter.ForConsole(everySteps: 500)).Run(sink =>
            {
                var window = Stopwatch.StartNew();
                long windowStart = trainer.Step;
                double lossSum = 0, accSum = 0;
                int count = 0;
                TrainStepResult last = default;
                while (trainer.Step < settings.Steps)
                {
                    if (cancel.IsCancellationRequested) { stop = StopReason.Interrupted; break; }
                    if (settings.TimeBudget is { } budget && wall.Elapsed >= budget) { stop = StopReason.TimeBudget; break; }
                    last = trainer.TrainStep();
                    lossSum += last.Loss; accSum += last.Accuracy; count++;
                    bool evaluate = last.Step % settings.EvaluateEvery == 0;
                    if (last.Step % ReportEvery == 0 || evaluate || last.Step == settings.Steps)
                    {
                        double stepsPerSecond = (trainer.Step - windowStart) / Math.Max(window.Elapsed.TotalSeconds, 1e-9);
                        EvaluationResult? val = null;
                        if (evaluate)
                        {
                            val = trainer.Evaluate(data.Validation);
                            lastValidation = val.Value.Accuracy;
                            trainer.Save(checkpointDirectory);
                        }
                        var record = new MetricsRecord(last.Step, elapsedBefore + wall.Elapsed.TotalSeconds, lossSum / count, accSum / count,
                            val?.Loss, val?.Accuracy, last.LearningRate, last.GradNorm, stepsPerSecond);
                        metrics.Append(record);
                        sink.Report(last.Step, settings.Steps, new ProgressStats(record.TrainLoss, record.TrainAccuracy,
                            double.IsNaN(lastValidation) ? null : lastValidation, stepsPerSecond, last.LearningRate));
                        if (val is { } v)
                            sink.Log($"step {last.Step}: validation loss {v.Loss:F4}, accuracy {v.Accuracy * 100:F2}% ({elapsedBefore + wall.Elapsed.TotalSeconds:F0} s)");
                        lossSum = accSum = 0; count = 0;
                        window.Restart(); windowStart = trainer.Step;
                        if (settings.TargetAccuracy is { } target && val is { } vv && vv.Accuracy >= target)
                        {
                            sink.Log($"validation accuracy {vv.Accuracy * 100:F2}% reached the target {target * 100:F1}%: stopping.");
                            stop = StopReason.TargetReached;
                            break;
                        }
                    }
                }
            });
        }

        // Final state: a checkpoint of the last step, validation and test accuracy, the plot.
        trainer.Save(checkpointDirectory);
        var validation = trainer.Evaluate(data.Validation);
        var test = trainer.Evaluate(data.Test);
        string plotPath = Path.Combine(runDirectory, PlotFile);
        RunPlot.Save(plotPath, MetricsLog.Load(Path.Combine(runDirectory, MetricsLog.FileName)),
            $"{RetrievalModelConfig.KindName(config.Kind)} R={config.Hidden}, K={settings.Pairs}");
        double seconds = elapsedBefore + wall.Elapsed.TotalSeconds;
        stdout.WriteLine(stop switch
        {
            StopReason.Interrupted => $"interrupted at step {trainer.Step}; checkpoint saved.",
            StopReason.TargetReached => $"stopped at step {trainer.Step}: validation accuracy reached the target {settings.TargetAccuracy!.Value * 100:G4}%.",
            StopReason.TimeBudget => $"stopped at step {trainer.Step}: the time budget of {settings.TimeBudget!.Value.TotalSeconds:F0} s ran out.",
            _ => $"stopped at step {trainer.Step}: the step limit" + (settings.TargetAccuracy is { } t ? $" (the target {t * 100:G4}% was not reached)." : "."),
        });
        stdout.WriteLine($"validation accuracy {validation.Accuracy * 100:F2}%  test accuracy {test.Accuracy * 100:F2}%  (loss {test.Loss:F4})  after {trainer.Step} steps, wall time {seconds:F0} s");
        stdout.WriteLine($"plot: {plotPath}");
        stdout.WriteLine($"checkpoint: {checkpointDirectory}");
        stdout.WriteLine($"metrics: {Path.Combine(runDirectory, MetricsLog.FileName)}");
        return new Outcome(runDirectory, trainer.Step, validation.Accuracy, test.Accuracy, seconds, stop);
    }

    /// <summary>Settings with the architecture, data and seeds a checkpoint was trained with.</summary>
    private static TrainSettings FromCheckpoint(TrainSettings settings, string checkpoint)
    {
        IReadOnlyDictionary<string, string> m;
        try { m = Checkpoint.ReadMetadata(checkpoint); }
        catch (CheckpointException e) { throw new CommandInputException($"--resume {settings.Resume}: {e.Message}"); }
        RetrievalModelConfig config;
        try { config = RetrievalModelConfig.FromMetadata(m); }
        catch (FormatException e) { throw new CommandInputException($"--resume {settings.Resume}: {e.Message}"); }
        int Int(string key) => m.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int r)
            ? r : throw new CommandInputException($"--resume {settings.Resume}: checkpoint metadata lacks '{key}'.");
        return settings with
        {
            Kind = config.Kind, Hidden = config.Hidden, InnerSteps = config.InnerSteps, Decay = config.Decay, FastLearningRate = config.FastLearningRate,
            Heads = config.Heads, FeatureMap = config.FeatureMap, FeedForward = config.FeedForward,
            Pairs = Int("data.pairs"), DataSeed = Int("data.seed"),
            Training = settings.Training with { Seed = Int("train.seed"), BatchSize = Int("train.batch_size") },
        };
    }

    private static string FreshRunDirectory(RetrievalModelConfig config)
    {
        string stem = Path.Combine("runs", $"retrieval-{RetrievalModelConfig.KindName(config.Kind)}-R{config.Hidden}");
        if (!Directory.Exists(stem)) return stem;
        for (int k = 2; ; k++)
            if (!Directory.Exists($"{stem}-{k}")) return $"{stem}-{k}";
    }

    private static string Num(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
