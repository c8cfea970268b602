using System.Diagnostics;

namespace FastWeights.Bench.Ptx;

/// <summary>Finds and runs NVIDIA's PTX assembler, <c>ptxas -v</c>.</summary>
internal static class Ptxas
{
    /// <summary>Environment variable naming the ptxas to use; when set, it must exist (CI sets it, .ci/run).</summary>
    public const string EnvironmentVariable = "FASTWEIGHTS_PTXAS";

    /// <summary>Where .ci/install-ptxas.sh puts ptxas by default.</summary>
    public const string InstallPath = "/opt/ptxas/bin/ptxas";

    /// <summary>
    /// The ptxas to use: <paramref name="explicitPath"/>, else $FASTWEIGHTS_PTXAS, else <c>ptxas</c> on PATH, else
    /// <see cref="InstallPath"/>; null when none exists.
    /// </summary>
    /// <exception cref="FileNotFoundException">An explicit path or $FASTWEIGHTS_PTXAS names no file.</exception>
    public static string? Locate(string? explicitPath = null)
    {
        string? named = explicitPath ?? Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(named))
            return File.Exists(named) ? Path.GetFullPath(named) : throw new FileNotFoundException($"ptxas not found at '{named}'.", named);
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, OperatingSystem.IsWindows() ? "ptxas.exe" : "ptxas");
            if (File.Exists(candidate)) return candidate;
        }
        return File.Exists(InstallPath) ? InstallPath : null;
    }

    /// <summary>Assembles <paramref name="ptx"/> for <paramref name="arch"/> ("sm_90") with -v.</summary>
    /// <returns>The exit code and ptxas's combined output.</returns>
    public static (int ExitCode, string Output) Assemble(string ptxas, string ptx, string arch)
    {
        string dir = Directory.CreateTempSubdirectory("fastweights-ptx-").FullName;
        try
        {
            string input = Path.Combine(dir, "kernel.ptx");
            File.WriteAllText(input, ptx);
            var start = new ProcessStartInfo(ptxas)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string arg in new[] { $"-arch={arch}", "-v", "-o", Path.Combine(dir, "kernel.cubin"), input })
                start.ArgumentList.Add(arg);
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start '{ptxas}'.");
            var stdout = process.StandardOutput.ReadToEndAsync();
            string stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout.Result + stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
