using FastWeights.Bench.Commands;

namespace FastWeights.Tests.Bench;

/// <summary>Runs the bench CLI in process, as its tests do.</summary>
public static class CliRun
{
    /// <summary>The exit code and everything written to stdout and stderr by <c>bench</c> with <paramref name="args"/>.</summary>
    public static (int Code, string Out, string Err) Invoke(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = BenchCli.Invoke(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
