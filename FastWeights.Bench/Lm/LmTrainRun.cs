using System.Diagnostics;
using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Bench.Reporting;
using FastWeights.Bench.Runs;
using FastWeights.Kernels.Core;
using FastWeights.Model.Layers;
using FastWeights.Model.Tasks.Language;
using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Lm;

/// <summary>
/// `lm train`: splits the text, builds the model, trains by truncated BPTT with a progress display, measures validation
/// bits per character regularly (saving a checkpoint each time), and ends with validation and test BPC, characters per
/// second, memory, metrics.csv and a plot. Same run folder, checkpoint, lock, resume and Ctrl-C rules as `retrieval train`
/// (Retrieval/TrainRun.cs): checkpoint/ (atomic, checksummed; it also holds the carried state), metrics.csv (loss columns
/// in nats per character, accuracy = next-character accuracy), training.png, run.lock.
/// </summary>
internal static class LmTrainRun
{
    private const int ReportEvery = 10;

    /// <summary>What a finished run measured.</summary>
    public sealed record Outcome(string RunDirectory, long Steps, double ValidationBpc, double TestBpc, double WallSeconds, double TrainSeconds,
        double CharactersPerSecond, long MemoryBytes, StopReason Stop);

    public static Outcome Execute(LmSettings settings, TextWriter stdout, CancellationToken cancel, IProgressReporter? reporter = null)
    {
        var wall = Stopwatch.StartNew();
        using var lease = new RunLease();
        return Execute(settings, stdout, cancel, reporter, wall, lease);
    }

    private static Outcome Execute(LmSettings settings, TextWriter stdout, CancellationToken cancel, IProgressReporter? reporter, Stopwatch wall, RunLease lease)
    {
        var stored = lease.Resume(settings.Resume, lockFolder: true);
        string? resumeRun = lease.ResumeRun, resumeCheckpoint = lease.ResumeCheckpoint;
        if (stored is not null)
        {
            settings = LmResume.Restore(settings, stored, $"--resume {settings.Resume}");
        }
        Validate(settings);

        // Everything that can be refused is checked before the run folder is touched.
        var text = LmText.Load(settings.Text);
        if (resumeCheckpoint is not null && Checkpoint.ReadMetadata(resumeCheckpoint).TryGetValue("data.text_sha256", out var hash) && hash != text.Sha256)
            throw new CommandInputException($"--resume {settings.Resume}: the text {text.Name} has changed since the run started (SHA-256 {text.Sha256}, the checkpoint's {hash}).");
        CharCorpus corpus;
        try { corpus = CharCorpus.Create(text.Content, settings.ValidationFraction, settings.TestFraction); }
        catch (ArgumentException e) { throw new CommandInputException($"--text {text.Name}: {CommandErrors.WithoutParameterName(e)}"); }
        if ((long)corpus.Train.Length / settings.Training.BatchSize - 1 < settings.Window)
            throw new CommandInputException($"--batch {settings.Training.BatchSize} --window {settings.Window}: the training text ({corpus.Train.Length} characters) "
                + $"is too short for {settings.Training.BatchSize} streams of one window each; lower --batch or --window, or give a longer --text.");
        var config = settings.ModelConfig(corpus.Vocabulary.Count);
        try { config.Validate(); }
        catch (ArgumentOutOfRangeException e) { throw new CommandInputException($"model option {e.ParamName}: {CommandErrors.WithoutParameterName(e)}"); }
        string runDirectory = resumeRun ?? settings.OutputDirectory ?? RunFolder.Fresh($"lm-{RetrievalModelConfig.KindName(config.Kind)}-R{config.Hidden}");
        if (resumeRun is null) RunFolder.RequireNoRunIn(runDirectory);
        string checkpointDirectory = Path.Combine(runDirectory, RunFolder.CheckpointFolder);
        string metricsPath = Path.Combine(runDirectory, MetricsLog.FileName);

        using var device = DeviceOptions.OpenDevice(settings.Accelerator, SweepSchedule.Auto);
        string sizeOptions = $"--hidden {config.Hidden} --layers {config.Layers} --batch {settings.Training.BatchSize} --window {settings.Window}";
        ResourceCheck.RequireDeviceFits(device, LowerBoundBytes(config, settings.Training.BatchSize), sizeOptions + " (parameters, Adam's moments, state and activations)");
        long before = Environment.WorkingSet;
        CharLanguageModel model;
        try { model = ResourceCheck.Allocating(() => new CharLanguageModel(device.Accelerator, config, settings.Training.BatchSize), sizeOptions); }
        catch (ArgumentException e) when (e is not ArgumentOutOfRangeException) { throw new CommandInputException($"--model: {CommandErrors.WithoutParameterName(e)}"); }
        using var _ = model;
        model.Initialize(settings.Training.Seed);
        using var trainer = ResourceCheck.Allocating(() => new LanguageModelTrainer(model, corpus.Train, settings.Training), sizeOptions);
        lease.Restore($"--resume {settings.Resume}", trainer.Resume);

        bool created = lease.Create(runDirectory, lockFolder: true);
        var metadata = Metadata(settings, text, corpus);
        return Train(settings, config, corpus, text, device.Describe(), model, trainer, metadata, runDirectory, checkpointDirectory, metricsPath,
            lease, created, wall, before, stdout, cancel, reporter);
    }

    private static Outcome Train(LmSettings settings, RetrievalModelConfig config, CharCorpus corpus, LmText text, string deviceName,
        CharLanguageModel model, LanguageModelTrainer trainer, Dictionary<string, string> metadata, string runDirectory, string checkpointDirectory,
        string metricsPath, RunLease lease, bool created, Stopwatch wall, long workingSetBefore, TextWriter stdout, CancellationToken cancel,
        IProgressReporter? reporter)
    {
        string? resumeCheckpoint = lease.ResumeCheckpoint;
        var metrics = lease.OpenMetrics(runDirectory, metricsPath, trainer.Step, $"--resume {settings.Resume}", created,
            () => trainer.Save(checkpointDirectory, metadata), out double elapsedBefore);
        long lastSaved = resumeCheckpoint is not null ? trainer.Step : 0;

        stdout.WriteLine($"lm: {Describe(config)} on {deviceName}, schedule {model.Recurrent.Schedule.ToString().ToLowerInvariant()}; "
            + $"text {text.Name}: {corpus.Train.Length}/{corpus.Validation.Length}/{corpus.Test.Length} characters, vocabulary {corpus.Vocabulary.Count}; "
            + $"batch {settings.Training.BatchSize} × window {settings.Window}, lr {Num(settings.Training.LearningRate)}"
            + (resumeCheckpoint is not null ? $"; resumed at step {trainer.Step}" : "") + $"; run folder {runDirectory}");
        stdout.WriteLine($"stops at {settings.Steps} steps" + (settings.TimeBudget is { } tb ? $" or {tb.TotalSeconds:F0} s of wall time" : "")
            + $"; validation every {settings.EvaluateEvery} steps");

        var training = new Stopwatch();
        long trainedSteps = 0;
        var loop = new TrainingLoop<TextEvaluation>(settings.Steps, settings.TimeBudget, settings.EvaluateEvery, ReportEvery)
        {
            Step = () => trainer.Step,
            TrainStep = () =>
            {
                TrainStepResult result;
                training.Start();
                try { result = trainer.TrainStep(); }
                finally { training.Stop(); }
                trainedSteps++;
                return result;
            },
            Validate = () => trainer.Evaluate(corpus.Validation),
            Save = () => trainer.Save(checkpointDirectory, metadata),
            Scores = v => (v.Loss, v.Accuracy),
            Report = (sink, last, record, val, stepsPerSecond) =>
            {
                sink.Report(last.Step, settings.Steps, new ProgressStats(record.TrainLoss / Math.Log(2), record.TrainAccuracy,
                    null, stepsPerSecond, last.LearningRate));
                if (val is { } v)
                    sink.Log($"step {last.Step}: validation {v.BitsPerCharacter:F3} bits/char, next-char accuracy {v.Accuracy * 100:F1}%, "
                        + $"{stepsPerSecond * trainer.CharactersPerStep:F0} chars/s ({elapsedBefore + wall.Elapsed.TotalSeconds:F0} s)");
            },
        };
        (var stop, lastSaved) = loop.Run(reporter ?? ProgressReporter.ForConsole(everySteps: 50), metrics, lastSaved, checkpointDirectory,
            wall, elapsedBefore, cancel);
        long memory = Math.Max(0, Environment.WorkingSet - workingSetBefore);

        if (trainer.Step != lastSaved) trainer.Save(checkpointDirectory, metadata);
        var validation = trainer.Evaluate(corpus.Validation);
        var test = trainer.Evaluate(corpus.Test);
        string plotPath = Path.Combine(runDirectory, RunFolder.PlotFile);
        RunPlot.Save(plotPath, MetricsLog.Load(metricsPath), $"lm {Describe(config)}");
        double seconds = elapsedBefore + wall.Elapsed.TotalSeconds;
        double charsPerSecond = trainedSteps * trainer.CharactersPerStep / Math.Max(training.Elapsed.TotalSeconds, 1e-9);
        stdout.WriteLine(stop.Describe(trainer.Step, settings.TimeBudget, targetAccuracy: null));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"validation {validation.BitsPerCharacter:F3} bits/char  test {test.BitsPerCharacter:F3} bits/char  (next-char accuracy {test.Accuracy * 100:F1}%)  after {trainer.Step} steps"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"training {charsPerSecond:F0} chars/s ({training.Elapsed.TotalSeconds:F0} s of steps in this process), wall time {seconds:F0} s; "
            + $"memory {memory / 1048576.0:F0} MiB (working-set growth while training), peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MiB"));
        RunFolder.PrintPaths(stdout, plotPath, checkpointDirectory, metricsPath);
        return new Outcome(runDirectory, trainer.Step, validation.BitsPerCharacter, test.BitsPerCharacter, seconds, training.Elapsed.TotalSeconds,
            charsPerSecond, memory, stop);
    }

    /// <summary>"fw R=128 E=32 S=1 λ=0.95 η=0.5 T=128": the kind and the sizes that matter for it.</summary>
    public static string Describe(RetrievalModelConfig config) =>
        $"{RetrievalModelConfig.KindName(config.Kind)} R={config.Hidden} E={config.Embedding}" + config.Kind switch
        {
            RecurrentKind.Lstm => "",
            RecurrentKind.HyperLstm => $" N_h={config.HyperHidden} N_z={config.HyperEmbedding}",
            RecurrentKind.DpfpDelta or RecurrentKind.DpfpSum => $" heads={config.Heads} φ={RetrievalModelConfig.MapName(config.FeatureMap)} F={config.FeedForward}",
            RecurrentKind.FastWeights => $" S={config.InnerSteps} λ={Num(config.Decay)} η={Num(config.FastLearningRate)}",
            _ => "",
        } + (config.Layers > 1 ? $" layers={config.Layers}" : "") + $" T={config.SequenceLength}";

    /// <summary>The run's metadata beyond the architecture and train.*: the text, its split, the vocabulary and the stopping rule.</summary>
    private static Dictionary<string, string> Metadata(LmSettings s, LmText text, CharCorpus corpus) => new()
    {
        ["lm.window"] = s.Window.ToString(CultureInfo.InvariantCulture),
        ["data.text"] = text.Name,
        ["data.text_sha256"] = text.Sha256,
        ["data.validation_fraction"] = s.ValidationFraction.ToString("R", CultureInfo.InvariantCulture),
        ["data.test_fraction"] = s.TestFraction.ToString("R", CultureInfo.InvariantCulture),
        ["data.vocabulary"] = corpus.Vocabulary.ToMetadata(),
        ["run.steps"] = s.Steps.ToString(CultureInfo.InvariantCulture),
        ["run.eval_every"] = s.EvaluateEvery.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// A lower bound of the bytes the model and its training allocate: parameters with gradients and Adam's moments (16
    /// bytes a weight, counting the per-layer R×R or 4R×R recurrent matrices and the output layer), the logits and their
    /// gradient [B,T,V] and the per-step outputs [B,T,R]. A size far beyond memory is refused before anything is allocated.
    /// </summary>
    internal static long LowerBoundBytes(RetrievalModelConfig c, int batch)
    {
        int square = c.Kind switch { RecurrentKind.Lstm or RecurrentKind.HyperLstm => 4, RecurrentKind.DpfpDelta or RecurrentKind.DpfpSum => 3, _ => 1 };
        double weights = (double)square * c.Layers * c.Hidden * c.Hidden + (double)c.Hidden * c.Vocabulary + (double)c.Vocabulary * c.Embedding;
        double activations = (double)batch * c.SequenceLength * (c.Vocabulary + 2.0 * c.Hidden * c.Layers);
        double bytes = 16 * weights + 4 * activations;
        return bytes >= long.MaxValue ? long.MaxValue : (long)bytes;
    }

    private static void Validate(LmSettings s)
    {
        RunSettings.Validate(s.Training, s.Steps, s.EvaluateEvery);
        if (s.Window < 1) throw new CommandInputException($"--window must be ≥ 1, got {s.Window}.");
        if (!(s.ValidationFraction > 0 && s.ValidationFraction < 0.5)) throw new CommandInputException($"--val-fraction must lie in (0, 0.5), got {s.ValidationFraction}.");
        if (!(s.TestFraction > 0 && s.TestFraction < 0.5)) throw new CommandInputException($"--test-fraction must lie in (0, 0.5), got {s.TestFraction}.");
        var a = s.Architecture;
        foreach (var (value, name) in new[] { (a.Hidden, "--hidden"), (a.Layers, "--layers"), (a.Embedding, "--embedding"), (a.InnerSteps, "--inner"),
                     (a.HyperHidden, "--hyper-size"), (a.HyperEmbedding, "--hyper-embedding"), (a.Heads, "--heads"), (a.FeedForward, "--feed-forward") })
            if (value < 1) throw new CommandInputException($"{name} must be ≥ 1, got {value}.");
    }

    private static string Num(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
