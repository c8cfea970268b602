using System.CommandLine;
using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Bench.Retrieval;
using FastWeights.Bench.Runs;
using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Commands;

/// <summary>
/// <c>retrieval [train|eval|sample|compare] …</c>: the associative-retrieval experiment of Ba et al. 2016.
/// <c>retrieval</c> alone trains with the main job's defaults.
/// </summary>
internal static class RetrievalCommand
{
    public const string Name = "retrieval";

    /// <summary>
    /// The options of `retrieval train` (also of bare `retrieval`, `compare` and `profile`), made fresh for each command;
    /// <paramref name="defaults"/> gives the stopping rule's defaults (the main job's, or compare's equal step budget).
    /// </summary>
    private sealed class TrainOptions(TrainSettings defaults) : ITrainOptions<TrainSettings>
    {
        public readonly Option<string> Model = new("--model") { Description = "fw | rnn-ln | control | lstm-ln | hyperlstm | dpfp-delta | dpfp-sum | gru-ln.", DefaultValueFactory = _ => "fw" };
        public readonly Option<int> Heads = new("--heads") { Description = "Heads of the DPFP block (dpfp-*); must divide R.", DefaultValueFactory = _ => Defaults.Architecture.Heads };
        public readonly Option<string> FeatureMap = new("--feature-map") { Description = "φ of the DPFP block (dpfp-*): dpfp1 | dpfp2 | dpfp3 | elu_plus_one | identity.", DefaultValueFactory = _ => "dpfp1" };
        public readonly Option<int> FeedForward = new("--feed-forward") { Description = "Feed-forward width of the DPFP block (dpfp-*).", DefaultValueFactory = _ => Defaults.Architecture.FeedForward };
        public readonly Option<int> Layers = new("--layers") { Description = "L, stacked sequence layers of the chosen kind (layer l reads layer l−1's R-wide output).", DefaultValueFactory = _ => 1 };
        public readonly Option<int> Hidden = new("--hidden") { Description = "R, recurrent units.", DefaultValueFactory = _ => 50 };
        public readonly Option<int> Inner = new("--inner") { Description = "S, inner steps (fw).", DefaultValueFactory = _ => 1 };
        public readonly Option<double> Decay = new("--decay") { Description = "λ, fast-weight decay (fw).", DefaultValueFactory = _ => Defaults.Architecture.Decay };
        public readonly Option<double> FastLr = new("--fast-lr") { Description = "η, fast learning rate (fw).", DefaultValueFactory = _ => Defaults.Architecture.FastLearningRate };
        public readonly Option<int> Pairs = new("--pairs") { Description = "K, letter-digit pairs per sequence.", DefaultValueFactory = _ => 4 };
        public readonly Option<int> Batch = new("--batch") { Description = "Sequences per step.", DefaultValueFactory = _ => Defaults.Training.BatchSize };
        public readonly Option<double> Lr = new("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => Defaults.Training.LearningRate };
        public readonly Option<long> Warmup = new("--warmup") { Description = "Linear warm-up steps.", DefaultValueFactory = _ => Defaults.Training.WarmupSteps };
        public readonly Option<string> LrSchedule = new("--lr-decay") { Description = "Learning-rate decay after the warm-up: constant | linear | cosine.", DefaultValueFactory = _ => "constant" };
        public readonly Option<double> FinalLr = new("--final-lr-fraction") { Description = "Learning rate at the last step as a fraction of --lr (linear/cosine).", DefaultValueFactory = _ => 0.1 };
        public readonly Option<double> Clip = new("--clip") { Description = "Global gradient-norm clip (0: off).", DefaultValueFactory = _ => Defaults.Training.ClipNorm };
        public readonly Option<double> WeightDecay = new("--weight-decay") { Description = "Decoupled weight decay.", DefaultValueFactory = _ => 0.0 };
        public readonly Option<long> Steps = new("--steps") { Description = "Stop after this many steps (in total, counting resumed ones).", DefaultValueFactory = _ => defaults.Steps };
        public readonly Option<string?> Time = new("--time-budget") { Description = "Also stop after this wall time in this process (e.g. 12m, 600s); 'none' (the default) for no limit.", DefaultValueFactory = _ => defaults.TimeBudget is { } t ? $"{t.TotalSeconds:F0}s" : "none" };
        public readonly Option<int> EvalEvery = new("--eval-every") { Description = "Validate and checkpoint every N steps.", DefaultValueFactory = _ => defaults.EvaluateEvery };
        public readonly Option<string> Target = new("--target-accuracy") { Description = "Stop at the first validation whose accuracy reaches this fraction (e.g. 0.99); 'none' to train all --steps.", DefaultValueFactory = _ => defaults.TargetAccuracy is { } a ? a.ToString("R", CultureInfo.InvariantCulture) : "none" };
        public readonly Option<int> Seed = new("--seed") { Description = "Seed of weights and data order.", DefaultValueFactory = _ => 1 };
        public readonly Option<int> DataSeed = new("--data-seed") { Description = "Seed of the generated splits.", DefaultValueFactory = _ => 1 };
        public readonly Option<int> TrainSize = new("--train-size") { Description = "Training examples.", DefaultValueFactory = _ => 100_000 };
        public readonly Option<int> ValSize = new("--val-size") { Description = "Validation examples.", DefaultValueFactory = _ => 10_000 };
        public readonly Option<int> TestSize = new("--test-size") { Description = "Test examples.", DefaultValueFactory = _ => 20_000 };
        public readonly Option<string> Accelerator = new("--accelerator") { Description = "auto (CUDA if present) | cpu | cuda.", DefaultValueFactory = _ => "auto" };
        public readonly Option<string?> Out = new("--out") { Description = "Run folder (default runs/retrieval-<model>-R<R>)." };
        public readonly Option<string?> Resume = new("--resume") { Description = "Continue the run in this folder (or checkpoint folder)." };

        private Option[] All => [Model, Hidden, Layers, Heads, FeatureMap, FeedForward, Inner, Decay, FastLr, Pairs, Batch, Lr, Warmup, LrSchedule, FinalLr, Clip, WeightDecay, Steps, Time, EvalEvery, Target, Seed, DataSeed, TrainSize, ValSize, TestSize, Accelerator, Out, Resume];

        public void AddTo(Command c)
        {
            foreach (Option o in All)
                c.Add(o);
        }

        public TrainSettings Read(ParseResult p)
        {
            string? time = p.GetValue(Time);
            return Defaults with
            {
                Architecture = Defaults.Architecture with
                {
                    Kind = ModelOptions.ParseKind(p.GetValue(Model)!),
                    Heads = p.GetValue(Heads), FeatureMap = ModelOptions.ParseMap(p.GetValue(FeatureMap)!), FeedForward = p.GetValue(FeedForward),
                    Hidden = p.GetValue(Hidden), Layers = p.GetValue(Layers), InnerSteps = p.GetValue(Inner), Decay = p.GetValue(Decay), FastLearningRate = p.GetValue(FastLr),
                },
                Pairs = p.GetValue(Pairs), TrainSize = p.GetValue(TrainSize), ValidationSize = p.GetValue(ValSize), TestSize = p.GetValue(TestSize),
                DataSeed = p.GetValue(DataSeed),
                Training = Defaults.Training with
                {
                    BatchSize = p.GetValue(Batch), LearningRate = p.GetValue(Lr), WarmupSteps = p.GetValue(Warmup), ClipNorm = p.GetValue(Clip),
                    Annealing = ModelOptions.TryParseSchedule(p.GetValue(LrSchedule)!, out var schedule) ? schedule
                        : throw new CommandInputException($"--lr-decay must be constant, linear or cosine, got '{p.GetValue(LrSchedule)}'."),
                    FinalFraction = p.GetValue(FinalLr), AnnealingSteps = p.GetValue(Steps),
                    WeightDecay = p.GetValue(WeightDecay), Seed = p.GetValue(Seed),
                },
                Steps = p.GetValue(Steps),
                TimeBudget = time is null || time == "none" ? null : TimeBudget.Parse(time, "--time-budget"),
                EvaluateEvery = p.GetValue(EvalEvery), TargetAccuracy = ParseTarget(p.GetValue(Target)!),
                Accelerator = p.GetValue(Accelerator)!, OutputDirectory = p.GetValue(Out), Resume = p.GetValue(Resume),
                Given = All.Where(o => p.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToHashSet(),
            };
        }
    }

    /// <summary>
    /// The main job's defaults (what bare `retrieval` runs). It stops on what it is for, 99% validation accuracy
    /// (checked at every validation), or at 20 000 steps as a safety net; never on wall time unless asked
    /// (--time-budget), so the result for a seed is the same on every machine and only the time varies.
    /// </summary>
    public static readonly TrainSettings Defaults = new()
    {
        Steps = 20_000,
        TimeBudget = null,
        TargetAccuracy = 0.99,
        EvaluateEvery = 500,
        Training = new TrainingOptions { BatchSize = 128, LearningRate = 1e-3, ClipNorm = 5.0 },
    };

    /// <summary>
    /// `retrieval compare`'s defaults: every model gets the same budget of steps and no early stop, so the rows are
    /// comparable step for step (the time each model takes is what differs).
    /// </summary>
    public static readonly TrainSettings CompareDefaults = Defaults with { Steps = 5_000, TargetAccuracy = null };

    /// <summary>Parses --target-accuracy: a fraction in (0, 1], or 'none'.</summary>
    private static double? ParseTarget(string text)
    {
        if (text.Trim() == "none") return null;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v > 0 && v <= 1))
            throw new CommandInputException($"--target-accuracy must be a fraction in (0, 1] such as 0.99, or none, got '{text}'.");
        return v;
    }

    public static Command Create()
    {
        var command = TrainingCommands.Create(Name, "The associative-retrieval experiment (Ba et al. 2016): train (default), eval, sample, compare.",
            "Train a model on the retrieval task (the default when only `retrieval` is given).", () => new TrainOptions(Defaults),
            (settings, stdout, cancel) => TrainRun.Execute(settings, stdout, cancel, collective: BenchProcess.Collective).Interrupted);
        command.Add(CreateEval());
        command.Add(CreateSample());
        command.Add(CreateCompare());
        command.Add(CreateProfile());
        return command;
    }

    private static Command CreateProfile()
    {
        var options = new TrainOptions(Defaults);
        var steps = new Option<int>("--profile-steps") { Description = "Steps to measure.", DefaultValueFactory = _ => 20 };
        var command = new Command("profile", "Where the time of a training step goes: data, forward, backward, gradient norm, Adam.") { steps };
        options.AddTo(command);
        command.SetAction(p => CommandErrors.Guard(Name, p.InvocationConfiguration.Error, () =>
            ProfileRun.Execute(options.Read(p), p.GetValue(steps), p.InvocationConfiguration.Output)));
        return command;
    }

    private static Command CreateEval()
    {
        var checkpoint = TrainingCommands.CheckpointOption();
        var split = TrainingCommands.SplitOption();
        var accelerator = TrainingCommands.AcceleratorOption();
        var command = new Command("eval", "Accuracy of a saved model on the test (or validation) split.") { checkpoint, split, accelerator };
        command.SetAction(p => CommandErrors.Guard(Name, p.InvocationConfiguration.Error, () =>
            Evaluate(p.GetValue(checkpoint)!, p.GetValue(split)!, p.GetValue(accelerator)!, p.InvocationConfiguration.Output)));
        return command;
    }

    /// <summary>Prints <c>test accuracy 99.12% (loss 0.0312) on 20000 examples</c> for a saved model.</summary>
    public static int Evaluate(string checkpoint, string split, string accelerator, TextWriter stdout)
    {
        TrainingCommands.CheckSplit(split);
        using var run = SavedRun.Open(checkpoint, accelerator, batch: 256);
        var data = split == "test" ? run.Data.Test : run.Data.Validation;
        var r = RetrievalTrainer.Evaluate(run.Model, data, 256);
        stdout.WriteLine($"{split} accuracy {r.Accuracy * 100:F2}% (loss {r.Loss:F4}) on {r.Count} examples; "
            + $"{RetrievalModelConfig.KindName(run.Model.Config.Kind)} R={run.Model.Config.Hidden}, step {run.Metadata.GetValueOrDefault("train.step", "?")}");
        return 0;
    }

    private static Command CreateSample()
    {
        var checkpoint = TrainingCommands.CheckpointOption();
        var count = new Option<int>("--count") { Description = "How many test sequences to show.", DefaultValueFactory = _ => 10 };
        var seed = new Option<int>("--seed") { Description = "Which test sequences (random, from this seed).", DefaultValueFactory = _ => 1 };
        var accelerator = TrainingCommands.AcceleratorOption();
        var command = new Command("sample", "Show test sequences with the model's predictions, like c9k8j3f1??c → 9.") { checkpoint, count, seed, accelerator };
        command.SetAction(p => CommandErrors.Guard(Name, p.InvocationConfiguration.Error, () =>
            Sample(p.GetValue(checkpoint)!, p.GetValue(count), p.GetValue(seed), p.GetValue(accelerator)!, p.InvocationConfiguration.Output)));
        return command;
    }

    /// <summary>Prints one line per sequence: <c>c9k8j3f1??c → 9   (target 9) ok</c>.</summary>
    public static int Sample(string checkpoint, int count, int seed, string accelerator, TextWriter stdout)
    {
        if (count < 1) throw new CommandInputException($"--count must be ≥ 1, got {count}.");
        using var run = SavedRun.Open(checkpoint, accelerator, batch: count);
        var test = run.Data.Test;
        var rng = new Random(seed);
        int T = test.SequenceLength;
        var indices = Enumerable.Range(0, count).Select(_ => rng.Next(test.Count)).ToArray();
        var tokens = new int[count * T];
        for (int i = 0; i < count; i++) test.TokensOf(indices[i]).CopyTo(tokens.AsSpan(i * T, T));
        var predictions = run.Model.Predict(run.Device.Accelerator.DefaultStream, tokens, count);
        int right = 0;
        for (int i = 0; i < count; i++)
        {
            var example = test.Example(indices[i]);
            bool ok = predictions[i] == example.Target;
            right += ok ? 1 : 0;
            stdout.WriteLine($"{RetrievalVocabulary.Format(example.Tokens)} → {predictions[i]}   (target {example.Target}) {(ok ? "ok" : "WRONG")}");
        }
        stdout.WriteLine($"{right}/{count} right");
        return 0;
    }

    private static Command CreateCompare() =>
        TrainingCommands.Compare(Name, "Train several models with the same settings and draw them on one plot with a table (like the paper's Table 1).",
            "fw,rnn-ln,control,lstm-ln,hyperlstm,dpfp-delta,dpfp-sum,gru-ln", new TrainOptions(CompareDefaults), CompareRun.Execute);
}
