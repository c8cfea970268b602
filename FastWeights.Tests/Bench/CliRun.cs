using FastWeights.Bench.Commands;

namespace FastWeights.Tests.Bench;

/// <summary>Runs the bench CLI in process, as its tests do.</summary>
public static class CliRun
{
    /// <summary>The exit code and everything written to stdout and stderr by <c>bench</c> with <paramref name="args"/>.</summary>
    public static (int Code, string Out, string Err) Invoke(params string[] args) => Capture((stdout, stderr) => BenchCli.Invoke(args, stdout, stderr));

    /// <summary>The exit code of <paramref name="command"/> and everything it wrote to the stdout and stderr writers it is given.</summary>
    public static (int Code, string Out, string Err) Capture(Func<TextWriter, TextWriter, int> command)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = command(stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
