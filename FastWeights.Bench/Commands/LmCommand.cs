using System.CommandLine;
using System.Globalization;
using System.Text;
using FastWeights.Bench.Cli;
using FastWeights.Bench.Lm;
using FastWeights.Bench.Retrieval;
using FastWeights.Bench.Runs;
using FastWeights.Model.Tasks.Language;

namespace FastWeights.Bench.Commands;

/// <summary>
/// <c>lm [train|eval|sample|compare] …</c>: a character-level language model on a public-domain text (docs/lm.md).
/// <c>lm</c> alone trains with the defaults on the default corpus.
/// </summary>
internal static class LmCommand
{
    public const string Name = "lm";

    private static readonly LmSettings Defaults = new();

    /// <summary>`lm compare`'s defaults: every model gets the same wall-time budget.</summary>
    private static readonly LmSettings CompareDefaults = Defaults with { Steps = 1_000_000, TimeBudget = TimeSpan.FromSeconds(90), EvaluateEvery = 100 };

    private sealed class TrainOptions(LmSettings defaults) : ITrainOptions<LmSettings>
    {
        public readonly Option<string> Model = new("--model") { Description = "fw | rnn-ln | control | lstm-ln | hyperlstm | dpfp-delta | dpfp-sum | gru-ln (every kind the factory builds).", DefaultValueFactory = _ => "fw" };
        public readonly Option<int> Hidden = new("--hidden") { Description = "R, recurrent units (the DPFP block's width for dpfp-*).", DefaultValueFactory = _ => defaults.Architecture.Hidden };
        public readonly Option<int> Layers = new("--layers") { Description = "L, stacked recurrent layers.", DefaultValueFactory = _ => defaults.Architecture.Layers };
        public readonly Option<int> Embedding = new("--embedding") { Description = "E, character embedding width.", DefaultValueFactory = _ => defaults.Architecture.Embedding };
        public readonly Option<int> Inner = new("--inner") { Description = "S, inner steps (fw).", DefaultValueFactory = _ => defaults.Architecture.InnerSteps };
        public readonly Option<double> Decay = new("--decay") { Description = "λ, fast-weight decay (fw).", DefaultValueFactory = _ => defaults.Architecture.Decay };
        public readonly Option<double> FastLr = new("--fast-lr") { Description = "η, fast learning rate (fw).", DefaultValueFactory = _ => defaults.Architecture.FastLearningRate };
        public readonly Option<int> HyperSize = new("--hyper-size") { Description = "N_h, the HyperLSTM's hyper cell (hyperlstm).", DefaultValueFactory = _ => defaults.Architecture.HyperHidden };
        public readonly Option<int> HyperEmbedding = new("--hyper-embedding") { Description = "N_z, each of the HyperLSTM's embeddings (hyperlstm).", DefaultValueFactory = _ => defaults.Architecture.HyperEmbedding };
        public readonly Option<int> Heads = new("--heads") { Description = "Heads of the DPFP block (dpfp-*); must divide R.", DefaultValueFactory = _ => defaults.Architecture.Heads };
        public readonly Option<string> FeatureMap = new("--feature-map") { Description = "φ of the DPFP block (dpfp-*): dpfp1 | dpfp2 | dpfp3 | elu_plus_one | identity.", DefaultValueFactory = _ => "dpfp1" };
        public readonly Option<int> FeedForward = new("--feed-forward") { Description = "Feed-forward width of the DPFP block (dpfp-*).", DefaultValueFactory = _ => defaults.Architecture.FeedForward };
        public readonly Option<int> Window = new("--window") { Description = "T, characters per truncated-BPTT window (the state is carried across windows).", DefaultValueFactory = _ => defaults.Window };
        public readonly Option<string?> Text = new("--text") { Description = "A UTF-8 text file to train on (default: the committed corpus, data/sotu/README.md)." };
        public readonly Option<double> ValFraction = new("--val-fraction") { Description = "Fraction of the text (by position, after the training part) for validation.", DefaultValueFactory = _ => defaults.ValidationFraction };
        public readonly Option<double> TestFraction = new("--test-fraction") { Description = "Fraction of the text (the end) for the test.", DefaultValueFactory = _ => defaults.TestFraction };
        public readonly Option<int> Batch = new("--batch") { Description = "B, parallel streams of the training text per step.", DefaultValueFactory = _ => defaults.Training.BatchSize };
        public readonly Option<double> Lr = new("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => defaults.Training.LearningRate };
        public readonly Option<double> Clip = new("--clip") { Description = "Global gradient-norm clip (0: off).", DefaultValueFactory = _ => defaults.Training.ClipNorm };
        public readonly Option<long> Steps = new("--steps") { Description = "Stop after this many steps (in total, counting resumed ones).", DefaultValueFactory = _ => defaults.Steps };
        public readonly Option<string?> Time = new("--time-budget") { Description = "Also stop after this wall time in this process (e.g. 90s, 15m); 'none' for no limit.", DefaultValueFactory = _ => defaults.TimeBudget is { } t ? $"{t.TotalSeconds:F0}s" : "none" };
        public readonly Option<int> EvalEvery = new("--eval-every") { Description = "Measure validation BPC and checkpoint every N steps.", DefaultValueFactory = _ => defaults.EvaluateEvery };
        public readonly Option<int> Seed = new("--seed") { Description = "Seed of the weights.", DefaultValueFactory = _ => 1 };
        public readonly Option<string> Accelerator = new("--accelerator") { Description = "auto (CUDA if present) | cpu | cuda.", DefaultValueFactory = _ => "auto" };
        public readonly Option<string?> Out = new("--out") { Description = "Run folder (default runs/lm-<model>-R<R>)." };
        public readonly Option<string?> Resume = new("--resume") { Description = "Continue the run in this folder (or checkpoint folder)." };

        private Option[] All => [Model, Hidden, Layers, Embedding, Inner, Decay, FastLr, HyperSize, HyperEmbedding, Heads, FeatureMap, FeedForward, Window, Text,
            ValFraction, TestFraction, Batch, Lr, Clip, Steps, Time, EvalEvery, Seed, Accelerator, Out, Resume];

        public void AddTo(Command c)
        {
            foreach (Option o in All) c.Add(o);
        }

        public LmSettings Read(ParseResult p)
        {
            string? time = p.GetValue(Time);
            return defaults with
            {
                Architecture = defaults.Architecture with
                {
                    Kind = ModelOptions.ParseKind(p.GetValue(Model)!), Hidden = p.GetValue(Hidden), Layers = p.GetValue(Layers), Embedding = p.GetValue(Embedding),
                    InnerSteps = p.GetValue(Inner), Decay = p.GetValue(Decay), FastLearningRate = p.GetValue(FastLr),
                    HyperHidden = p.GetValue(HyperSize), HyperEmbedding = p.GetValue(HyperEmbedding), Heads = p.GetValue(Heads),
                    FeatureMap = ModelOptions.ParseMap(p.GetValue(FeatureMap)!), FeedForward = p.GetValue(FeedForward),
                },
                Window = p.GetValue(Window),
                Text = p.GetValue(Text), ValidationFraction = p.GetValue(ValFraction), TestFraction = p.GetValue(TestFraction),
                Training = defaults.Training with
                {
                    BatchSize = p.GetValue(Batch), LearningRate = p.GetValue(Lr), ClipNorm = p.GetValue(Clip), Seed = p.GetValue(Seed),
                    AnnealingSteps = p.GetValue(Steps),
                },
                Steps = p.GetValue(Steps),
                TimeBudget = time is null || time == "none" ? null : TimeBudget.Parse(time, "--time-budget"),
                EvaluateEvery = p.GetValue(EvalEvery), Accelerator = p.GetValue(Accelerator)!, OutputDirectory = p.GetValue(Out), Resume = p.GetValue(Resume),
                Given = All.Where(o => p.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToHashSet(),
            };
        }
    }

    public static Command Create()
    {
        var command = TrainingCommands.Create(Name, "A character-level language model on a public-domain text: train (default), eval, sample, compare (docs/lm.md).",
            "Train a language model (the default when only `lm` is given).", () => new TrainOptions(Defaults),
            (settings, stdout, cancel) => LmTrainRun.Execute(settings, stdout, cancel).Stop == StopReason.Interrupted);
        command.Add(CreateEval());
        command.Add(CreateSample());
        command.Add(CreateCompare());
        return command;
    }

    private static Command CreateEval()
    {
        var checkpoint = TrainingCommands.CheckpointOption();
        var split = TrainingCommands.SplitOption();
        var text = new Option<string?>("--text") { Description = "The run's text file, when it is not where the run read it." };
        var accelerator = TrainingCommands.AcceleratorOption();
        var command = new Command("eval", "Bits per character of a saved model on the test (or validation) part of its text.") { checkpoint, split, text, accelerator };
        command.SetAction(p => CommandErrors.Guard(Name, p.InvocationConfiguration.Error, () =>
            Evaluate(p.GetValue(checkpoint)!, p.GetValue(split)!, p.GetValue(text), p.GetValue(accelerator)!, p.InvocationConfiguration.Output)));
        return command;
    }

    /// <summary>Prints <c>test 2.104 bits/char (next-char accuracy 41.2%) on 73751 characters; …</c>.</summary>
    public static int Evaluate(string checkpoint, string split, string? textFile, string accelerator, TextWriter stdout)
    {
        TrainingCommands.CheckSplit(split);
        // The same streams as the training run's validation (one per training sequence), so the numbers agree.
        using var run = LmSavedRun.Open(checkpoint, accelerator, batch: LmSavedRun.TrainingBatch(checkpoint));
        string stored = run.Metadata.GetValueOrDefault("data.text", LmText.DefaultName);
        var text = LmText.Load(textFile ?? stored);
        if (run.Metadata.TryGetValue("data.text_sha256", out var hash) && hash != text.Sha256)
            throw new CommandInputException($"--checkpoint {checkpoint}: the text {text.Name} is not the one the model was trained on (SHA-256 {text.Sha256}, the checkpoint's {hash}).");
        double Fraction(string key) => double.Parse(run.Metadata[key], CultureInfo.InvariantCulture);
        var corpus = CharCorpus.Create(text.Content, Fraction("data.validation_fraction"), Fraction("data.test_fraction"));
        if (corpus.Vocabulary.ToMetadata() != run.Vocabulary.ToMetadata())
            throw new CommandInputException($"--checkpoint {checkpoint}: the text's training part gives another vocabulary than the checkpoint's.");
        var r = LanguageModelTrainer.Evaluate(run.Model, split == "test" ? corpus.Test : corpus.Validation, run.Model.MaxBatch);
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{split} {r.BitsPerCharacter:F3} bits/char (next-char accuracy {r.Accuracy * 100:F1}%) on {r.Count} characters; "
            + $"{LmTrainRun.Describe(run.Model.Config)}, step {run.Metadata.GetValueOrDefault("train.step", "?")}"));
        return 0;
    }

    private static Command CreateSample()
    {
        var checkpoint = TrainingCommands.CheckpointOption();
        var prompt = new Option<string>("--prompt") { Description = "Text the model reads first (characters outside its vocabulary read as unknown).", DefaultValueFactory = _ => "Fellow-Citizens of the Senate and House of Representatives: " };
        var temperature = new Option<double>("--temperature") { Description = "Softmax temperature (0: always the most likely character).", DefaultValueFactory = _ => 0.7 };
        var length = new Option<int>("--length") { Description = "Characters to generate.", DefaultValueFactory = _ => 400 };
        var seed = new Option<int>("--seed") { Description = "Seed of the sampling.", DefaultValueFactory = _ => 1 };
        var accelerator = TrainingCommands.AcceleratorOption();
        var command = new Command("sample", "Generate text from a saved model, streaming: the prompt, then one character at a time with the state carried.")
            { checkpoint, prompt, temperature, length, seed, accelerator };
        command.SetAction(p => CommandErrors.Guard(Name, p.InvocationConfiguration.Error, () =>
            Sample(p.GetValue(checkpoint)!, p.GetValue(prompt)!, p.GetValue(temperature), p.GetValue(length), p.GetValue(seed), p.GetValue(accelerator)!,
                p.InvocationConfiguration.Output)));
        return command;
    }

    /// <summary>Prints the prompt followed by <paramref name="length"/> generated characters.</summary>
    public static int Sample(string checkpoint, string prompt, double temperature, int length, int seed, string accelerator, TextWriter stdout)
    {
        if (!(temperature >= 0 && double.IsFinite(temperature))) throw new CommandInputException($"--temperature must be finite and ≥ 0, got {temperature}.");
        if (length < 1) throw new CommandInputException($"--length must be ≥ 1, got {length}.");
        if (prompt.Length == 0) throw new CommandInputException("--prompt must not be empty (the model needs a character to start from).");
        using var run = LmSavedRun.Open(checkpoint, accelerator, batch: 1);
        using var stream = new CharLanguageModelStream(run.Model);
        stream.Feed(run.Vocabulary.Encode(prompt));
        var rng = new Random(seed);
        var output = new StringBuilder(prompt);
        Span<int> one = stackalloc int[1];
        for (int k = 0; k < length; k++)
        {
            one[0] = stream.Sample(temperature, rng);
            output.Append(run.Vocabulary.Decode(one[0]));
            stream.Feed(one);
        }
        stdout.WriteLine(output.ToString());
        return 0;
    }

    private static Command CreateCompare() =>
        TrainingCommands.Compare(Name, "Train several models with the same budget, one after the other, and write a table of bits per character and a plot.",
            "fw,rnn-ln,lstm-ln,hyperlstm,dpfp-sum", new TrainOptions(CompareDefaults), LmCompareRun.Execute);
}
