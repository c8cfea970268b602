using System.Diagnostics;
using System.Text;
using FastWeights.Bench.Commands;

namespace FastWeights.Tests.Support;

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
        var info = new ProcessStartInfo(mpirun) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Root in CI containers; --oversubscribe lets 2 ranks start wherever fewer cores are free.
        foreach (string a in (string[])["--allow-run-as-root", "--oversubscribe"]) info.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (key, value) in environment)
            {
                info.Environment[key] = value;
                info.ArgumentList.Add("-x");
                info.ArgumentList.Add(key);
            }
        AddApplication(info, ranks, args);
        return Wait(info, limit, $"mpirun -np {ranks} {string.Join(' ', args)}");
    }

    /// <summary>
    /// One rank per argument list, each with its own arguments (mpirun's `-np 1 A : -np 1 B` form): ranks given
    /// different options, which the trainer must refuse.
    /// </summary>
    public static Result RunEach(TimeSpan limit, params string[][] argsPerRank)
    {
        string mpirun = Require();
        var info = new ProcessStartInfo(mpirun) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])["--allow-run-as-root", "--oversubscribe"]) info.ArgumentList.Add(a);
        for (int r = 0; r < argsPerRank.Length; r++)
        {
            if (r > 0) info.ArgumentList.Add(":");
            AddApplication(info, 1, argsPerRank[r]);
        }
        return Wait(info, limit, string.Join(" : ", argsPerRank.Select(a => "-np 1 " + string.Join(' ', a))));
    }

    private static void AddApplication(ProcessStartInfo info, int ranks, string[] args)
    {
        info.ArgumentList.Add("-np");
        info.ArgumentList.Add(ranks.ToString(System.Globalization.CultureInfo.InvariantCulture));
        info.ArgumentList.Add(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet");
        info.ArgumentList.Add(typeof(BenchCli).Assembly.Location);
        foreach (string a in args) info.ArgumentList.Add(a);
    }

    private static Result Wait(ProcessStartInfo info, TimeSpan limit, string what)
    {
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
            Assert.Fail($"{what} did not end within {limit.TotalSeconds} s (a rank hangs). Output so far:\n{output}");
        }
        process.WaitForExit(); // drains the redirected streams
        lock (output) return new Result(process.ExitCode, output.ToString(), clock.Elapsed.TotalSeconds);
    }
}
