using System.CommandLine;
using FastWeights.Bench.Cli;
using FastWeights.Model.Layers;

namespace FastWeights.Bench.Commands;

/// <summary>The options of a training command (`retrieval train`, `lm train`), read into its settings.</summary>
internal interface ITrainOptions<out TSettings>
{
    /// <summary>Adds every option to <paramref name="command"/>, in the order the help lists them.</summary>
    void AddTo(Command command);

    /// <summary>The settings the command line gives (the defaults where an option is not given).</summary>
    TSettings Read(ParseResult parse);
}

/// <summary>
/// What `retrieval` and `lm` share: bare NAME and `NAME train` (the same options; both train), `NAME compare` (--models
/// and the training options), the options of `eval` and `sample`, and the Ctrl-C handling of a training run.
/// </summary>
internal static class TrainingCommands
{
    /// <summary>
    /// NAME, which trains with <paramref name="options"/>, and its `train` subcommand, which does the same;
    /// <paramref name="train"/> runs the training and says whether Ctrl-C interrupted it (exit code 130).
    /// </summary>
    public static Command Create<TSettings>(string name, string description, string trainDescription, Func<ITrainOptions<TSettings>> options,
        Func<TSettings, TextWriter, CancellationToken, bool> train)
    {
        var command = new Command(name, description);
        var bare = options();
        bare.AddTo(command);
        command.SetAction(p => Train(name, () => bare.Read(p), train, p.InvocationConfiguration.Output, p.InvocationConfiguration.Error));

        var trainCommand = new Command("train", trainDescription);
        var trainOptions = options();
        trainOptions.AddTo(trainCommand);
        trainCommand.SetAction(p => Train(name, () => trainOptions.Read(p), train, p.InvocationConfiguration.Output, p.InvocationConfiguration.Error));
        command.Add(trainCommand);
        return command;
    }

    /// <summary>`NAME compare`: --models (default <paramref name="defaultModels"/>), then the training options.</summary>
    public static Command Compare<TSettings>(string name, string description, string defaultModels, ITrainOptions<TSettings> options,
        Func<TSettings, IReadOnlyList<RecurrentKind>, TextWriter, int> run)
    {
        var models = new Option<string>("--models") { Description = "Comma-separated models to train.", DefaultValueFactory = _ => defaultModels };
        var command = new Command("compare", description) { models };
        options.AddTo(command);
        command.SetAction(p => CommandErrors.Guard(name, p.InvocationConfiguration.Error, () =>
        {
            var settings = options.Read(p);
            var kinds = p.GetValue(models)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ModelOptions.ParseKind).ToArray();
            if (kinds.Length == 0) throw new CommandInputException("--models names no model.");
            return run(settings, kinds, p.InvocationConfiguration.Output);
        }));
        return command;
    }

    /// <summary>--checkpoint of `eval` and `sample`.</summary>
    public static Option<string> CheckpointOption() => new("--checkpoint") { Description = "Run folder or checkpoint folder.", Required = true };

    /// <summary>--accelerator of `eval` and `sample`.</summary>
    public static Option<string> AcceleratorOption() => new("--accelerator") { Description = "auto | cpu | cuda.", DefaultValueFactory = _ => "auto" };

    /// <summary>--split of `eval`.</summary>
    public static Option<string> SplitOption() => new("--split") { Description = "test | validation.", DefaultValueFactory = _ => "test" };

    /// <summary>Refuses a --split other than test or validation.</summary>
    public static void CheckSplit(string split)
    {
        if (split is not ("test" or "validation")) throw new CommandInputException($"--split must be test or validation, got '{split}'.");
    }

    private static int Train<TSettings>(string name, Func<TSettings> read, Func<TSettings, TextWriter, CancellationToken, bool> train,
        TextWriter stdout, TextWriter stderr) =>
        CommandErrors.Guard(name, stderr, () =>
        {
            var settings = read();
            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler handler = (_, e) =>
            {
                if (cancel.IsCancellationRequested) return; // a second Ctrl-C ends the process at once
                e.Cancel = true;
                cancel.Cancel();
            };
            Console.CancelKeyPress += handler;
            try
            {
                return train(settings, stdout, cancel.Token) ? 130 : 0;
            }
            finally
            {
                Console.CancelKeyPress -= handler;
            }
        });
}
