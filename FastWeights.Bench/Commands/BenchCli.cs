using System.CommandLine;
using System.CommandLine.Parsing;
using FastWeights.Bench.Cli;

namespace FastWeights.Bench.Commands;

/// <summary>The root command of FastWeights.Bench and its subcommands.</summary>
internal static class BenchCli
{
    /// <summary>Builds the command tree.</summary>
    public static RootCommand Create()
    {
        var root = new RootCommand("FastWeights.Bench: run and size the fast-weight RNN layer.");
        root.Add(LayerCommand.Create());
        root.Add(MemoryCommand.Create());
        root.Add(TimeCommand.Create());
        root.Add(CrossoverCommand.Create());
        root.Add(FloorCommand.Create());
        root.Add(RetrievalCommand.Create());
        root.Add(LmCommand.Create());
        root.Add(CapacityCommand.Create());
        root.Add(KernelsCommand.Create());
        root.Add(GpuCheck.GpuCheckCommand.Create());
        root.Add(Ptx.PtxCommand.Create());
        root.Add(PlotCommand.Create());
        root.Add(DistributedCheckCommand.Create());
        return root;
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>; output and errors go to the given writers (the console when null).
    /// A parse error (unknown option, missing or malformed value) is reported like every other expected failure: one line
    /// <c>COMMAND: error: …</c> on stderr and exit code 1, without the help text. No arguments at all print the help (the
    /// commands and their one-line descriptions) on stdout and return 0: asking for nothing is taken as asking what there is.
    /// </summary>
    /// <returns>The process exit code: 0 on success.</returns>
    public static int Invoke(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var root = Create();
        if (args.Length == 0) args = ["--help"];
        ParseResult parse = root.Parse(args);
        var config = new InvocationConfiguration();
        if (output is not null) config.Output = output;
        if (error is not null) config.Error = error;
        if (parse.Errors.Count > 0)
        {
            config.Error.WriteLine($"{CommandName(parse.CommandResult, root)}: error: {ParseErrorText(parse.Errors)}");
            return CommandErrors.InputError;
        }
        return parse.Invoke(config);
    }

    /// <summary>The subcommand of the root that the arguments name (e.g. "retrieval" for `retrieval train …`), else the program's name.</summary>
    private static string CommandName(CommandResult result, RootCommand root)
    {
        CommandResult current = result;
        while (current.Parent is CommandResult parent && parent.Command != root) current = parent;
        return current.Command == root ? "FastWeights.Bench" : current.Command.Name;
    }

    /// <summary>System.CommandLine's messages on one line, with .NET type names in words.</summary>
    internal static string ParseErrorText(IEnumerable<ParseError> errors) =>
        CommandErrors.OneLine(string.Join("; ", errors.Select(e => e.Message.TrimEnd('.')
            .Replace("expected type 'System.Int32'", "an integer", StringComparison.Ordinal)
            .Replace("expected type 'System.Int64'", "an integer", StringComparison.Ordinal)
            .Replace("expected type 'System.Double'", "a number", StringComparison.Ordinal)
            .Replace("expected type 'System.String'", "a string", StringComparison.Ordinal))) + ".");
}
