using System.CommandLine;
using System.CommandLine.Invocation;

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
        root.Add(CapacityCommand.Create());
        root.Add(KernelsCommand.Create());
        root.Add(GpuCheck.GpuCheckCommand.Create());
        root.Add(Ptx.PtxCommand.Create());
        return root;
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>; output and errors go to the given writers (the console when null).
    /// Parse errors are reported without the help text, so stderr stays short.
    /// </summary>
    /// <returns>The process exit code: 0 on success.</returns>
    public static int Invoke(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        ParseResult parse = Create().Parse(args);
        if (parse.Action is ParseErrorAction parseError)
            parseError.ShowHelp = false;
        var config = new InvocationConfiguration();
        if (output is not null) config.Output = output;
        if (error is not null) config.Error = error;
        return parse.Invoke(config);
    }
}
