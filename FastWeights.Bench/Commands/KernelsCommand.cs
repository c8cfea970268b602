using System.CommandLine;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using FastWeights.Bench.Benchmarks;
using FastWeights.Bench.Cli;

namespace FastWeights.Bench.Commands;

/// <summary>
/// <c>kernels [--accelerator auto|cpu|cuda] [BenchmarkDotNet arguments]</c>: runs the BenchmarkDotNet suites of
/// the kernels (<see cref="KernelBenchmarkConfig.Suites"/>) through <see cref="BenchmarkSwitcher"/>, in process.
/// Every argument other than <c>--accelerator</c> goes to BenchmarkDotNet unchanged (<c>--filter</c>, <c>--job</c>,
/// <c>--exporters</c>, <c>--list</c>, …; <c>kernels -- --help</c> prints its options). Without a filter every
/// suite runs (no interactive prompt).
/// </summary>
internal static class KernelsCommand
{
    public const string Name = "kernels";


    public static Command Create()
    {
        var accelerator = new Option<string>("--accelerator")
        {
            Description = "Where the suites run, and so which size grid: auto (CUDA if present, else CPU), cpu, or cuda.",
            DefaultValueFactory = _ => "auto",
        };
        accelerator.AcceptOnlyFromAmong(DeviceOptions.Accelerators);
        var command = new Command(Name,
            "Run the BenchmarkDotNet kernel suites (fused layer vs baselines). Other arguments go to BenchmarkDotNet: "
            + "--filter, --job dry|short|default|…, --exporters, --list flat; `kernels -- --help` lists them.")
        {
            accelerator,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parse => Run(parse.GetValue(accelerator)!, [.. parse.UnmatchedTokens], parse.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>Runs the suites; BenchmarkDotNet writes to the console and to BenchmarkDotNet.Artifacts/.</summary>
    /// <returns>0 when every selected case ran; 1 after a one-line error for a bad accelerator, or when a case
    /// failed or a validator reported a critical error.</returns>
    public static int Run(string accelerator, string[] benchmarkArgs, TextWriter stderr) =>
        CommandErrors.Guard(Name, stderr, () =>
        {
            string resolved = KernelBenchmarkEnvironment.Resolve(accelerator);
            Environment.SetEnvironmentVariable(KernelBenchmarkEnvironment.Variable, resolved);
            string[] args = HasFilter(benchmarkArgs) ? benchmarkArgs : [.. benchmarkArgs, "--filter", "*"];
            Summary[] summaries = BenchmarkSwitcher.FromTypes(KernelBenchmarkConfig.Suites).Run(args, KernelBenchmarkConfig.Create()).ToArray();
            bool failed = summaries.Any(s => s.HasCriticalValidationErrors || s.BenchmarksCases.Any(c => s[c] is not { Success: true }));
            if (failed) stderr.WriteLine($"{Name}: error: some benchmark cases failed or were rejected; see the log above.");
            return failed ? CommandErrors.InputError : 0;
        });

    /// <summary>Whether the arguments already select benchmarks (or only list or describe them).</summary>
    internal static bool HasFilter(IEnumerable<string> args) => args.Any(a =>
        a.StartsWith("--filter", StringComparison.OrdinalIgnoreCase) || a.Equals("-f", StringComparison.Ordinal)
        || a.StartsWith("--anyCategories", StringComparison.OrdinalIgnoreCase) || a.StartsWith("--allCategories", StringComparison.OrdinalIgnoreCase)
        || a.Equals("--help", StringComparison.OrdinalIgnoreCase) || a.Equals("--version", StringComparison.OrdinalIgnoreCase)
        || a.Equals("--info", StringComparison.OrdinalIgnoreCase));
}
