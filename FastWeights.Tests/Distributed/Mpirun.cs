using System.Diagnostics;
using System.Text;
using FastWeights.Bench.Commands;
using NUnit.Framework;

namespace FastWeights.Tests.Distributed;

/// <summary>
/// Runs FastWeights.Bench under OpenMPI's mpirun as a child process, with a time limit. mpirun is found on PATH (or
/// $FASTWEIGHTS_MPIRUN). Where it is missing the tests are ignored with the reason, unless $FASTWEIGHTS_REQUIRE_MPI=1
/// (set by .ci/run, which installs OpenMPI first): then they fail, so CI never loses them silently.
/// </summary>
internal static class Mpirun
{
    public const string PathVariable = "FASTWEIGHTS_MPIRUN";
    public const string RequireVariable = "FASTWEIGHTS_REQUIRE_MPI";

    /// <summary>The mpirun to use; ignores (or, where required, fails) the calling test when there is none.</summary>
    public static string Require()
    {
        string? explicitPath = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrEmpty(explicitPath))
        {
            if (!File.Exists(explicitPath)) Assert.Fail($"${PathVariable} names {explicitPath}, which does not exist.");
            return explicitPath;
        }
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, "mpirun");
            if (File.Exists(candidate)) return candidate;
        }
        string why = "mpirun (OpenMPI) is not installed: .ci/install-openmpi.sh installs it";
        if (Environment.GetEnvironmentVariable(RequireVariable) == "1") Assert.Fail($"{why}, and ${RequireVariable}=1 requires these tests to run.");
        Assert.Ignore(why + ".");
        return "";
    }

    /// <summary>The result of one child process.</summary>
    public sealed record Result(int ExitCode, string Output, double Seconds);

    /// <summary>
    /// `mpirun -np <paramref name="ranks"/> dotnet FastWeights.Bench.dll <paramref name="args"/>`; fails the test when it
    /// has not ended within <paramref name="limit"/> (the whole process tree is killed then).
    /// </summary>
    public static Result Run(int ranks, TimeSpan limit, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        string mpirun = Require();
        string bench = typeof(BenchCli).Assembly.Location;
        var info = new ProcessStartInfo(mpirun) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Root in CI containers; --oversubscribe lets 2 ranks start wherever fewer cores are free.
        foreach (string a in (string[])["--allow-run-as-root", "--oversubscribe", "-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture)])
            info.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (key, value) in environment)
            {
                info.Environment[key] = value;
                info.ArgumentList.Add("-x");
                info.ArgumentList.Add(key);
            }
        info.ArgumentList.Add(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
        info.ArgumentList.Add(bench);
        foreach (string a in args) info.ArgumentList.Add(a);
        var output = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"mpirun -np {ranks} {string.Join(' ', args)} did not end within {limit.TotalSeconds} s (a rank hangs). Output so far:\n{output}");
        }
        process.WaitForExit(); // drains the redirected streams
        lock (output) return new Result(process.ExitCode, output.ToString(), clock.Elapsed.TotalSeconds);
    }
}
