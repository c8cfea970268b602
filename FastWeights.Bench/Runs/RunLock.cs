using System.Diagnostics;
using System.Globalization;
using FastWeights.Bench.Cli;

namespace FastWeights.Bench.Runs;

/// <summary>
/// One run per run folder: <see cref="FileName"/> in the folder holds the owning process's id and start time. A second
/// run (train or resume) into the same folder is refused while the owner lives; a lock left by a dead process (killed,
/// crashed) is detected (no process with that id, or one that started more than a second apart: the id was reused)
/// and replaced.
/// </summary>
internal sealed class RunLock : IDisposable
{
    /// <summary>The lock file's name inside a run folder.</summary>
    public const string FileName = "run.lock";

    private readonly string path;
    private readonly string content;

    private RunLock(string path, string content)
    {
        this.path = path;
        this.content = content;
    }

    /// <summary>Takes the lock of <paramref name="runDirectory"/> (which must exist).</summary>
    /// <exception cref="CommandInputException">A live process holds it; the message names the folder and the process id.</exception>
    public static RunLock Acquire(string runDirectory, string option)
    {
        string path = Path.Combine(runDirectory, FileName);
        using var self = Process.GetCurrentProcess();
        string content = Describe(self.Id, self.StartTime);
        for (int attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                using (var writer = new StreamWriter(stream))
                    writer.Write(content);
                return new RunLock(path, content);
            }
            catch (IOException) when (File.Exists(path))
            {
                string held;
                try { held = File.ReadAllText(path); }
                catch (IOException) { continue; } // removed meanwhile: try again
                if (HolderIsAlive(held, out int pid))
                    throw new CommandInputException($"{option} {runDirectory}: another run (process {pid}) is using this folder ({FileName}); wait for it or choose another folder.");
                // Stale: its process is gone. Remove it only if it is still the same stale lock, then take it.
                try { if (File.ReadAllText(path) == held) File.Delete(path); }
                catch (IOException) { }
            }
        }
        throw new CommandInputException($"{option} {runDirectory}: could not take the run lock {FileName} (other processes keep taking it).");
    }

    /// <summary>True when the lock file names a process that is still running (same id and start time).</summary>
    public static bool HolderIsAlive(string held, out int pid)
    {
        pid = 0;
        string[] parts = held.Trim().Split(' ');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out pid)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long startTicks))
            return false; // unreadable (a lock torn by a kill while it was written): nobody can hold it
        try
        {
            using var process = Process.GetProcessById(pid);
            // Within a second, not exactly: on Linux, .NET derives a process's start time from the boot time, which each
            // process computes slightly differently. A reused id would belong to a process started much later.
            return !process.HasExited && Math.Abs(process.StartTime.ToUniversalTime().Ticks - startTicks) < TimeSpan.TicksPerSecond;
        }
        catch (ArgumentException) { return false; } // no such process
        catch (InvalidOperationException) { return false; } // it exited meanwhile
        catch (System.ComponentModel.Win32Exception) { return true; } // exists but is not ours to inspect: assume alive
    }

    /// <summary>The lock file's content for a process: "pid startTicksUtc".</summary>
    public static string Describe(int pid, DateTime startTime) =>
        string.Create(CultureInfo.InvariantCulture, $"{pid} {startTime.ToUniversalTime().Ticks}");

    /// <summary>Removes the lock if it is still ours.</summary>
    public void Dispose()
    {
        try
        {
            if (File.Exists(path) && File.ReadAllText(path) == content) File.Delete(path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
