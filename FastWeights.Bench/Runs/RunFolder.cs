using FastWeights.Bench.Cli;
using FastWeights.Bench.Reporting;

namespace FastWeights.Bench.Runs;

/// <summary>
/// The run folder every training command writes (`retrieval train`, `lm train`): checkpoint/ (saved as one unit, with
/// checkpoint.prev/ while a save is replacing it), metrics.csv, training.png and run.lock (<see cref="RunLock"/>); how a
/// fresh one is named, refused when it already holds a run, and removed again when a run fails before it started.
/// </summary>
internal static class RunFolder
{
    /// <summary>The checkpoint folder inside a run folder.</summary>
    public const string CheckpointFolder = "checkpoint";

    /// <summary>The training plot inside a run folder (also what `plot` redraws).</summary>
    public const string PlotFile = "training.png";

    /// <summary>
    /// The run folder of a --resume argument: the folder itself, or the run folder around it when it names the
    /// run's checkpoint folder (checkpoint/ or checkpoint.prev/).
    /// </summary>
    public static string Of(string resume)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(resume));
        string name = Path.GetFileName(full);
        return name is CheckpointFolder or CheckpointFolder + ".prev" && Path.GetDirectoryName(full) is { } parent ? parent : resume;
    }

    /// <summary>
    /// The checkpoint folder a --checkpoint argument names: a run folder's checkpoint/ (or the checkpoint.prev/ a save
    /// killed between its renames left), or the folder itself.
    /// </summary>
    public static string CheckpointOf(string folder)
    {
        string inner = Path.Combine(folder, CheckpointFolder);
        return Directory.Exists(inner) || Directory.Exists(inner + ".prev") ? inner : folder;
    }

    /// <summary>runs/&lt;stem&gt;, or runs/&lt;stem&gt;-2, -3, … when it exists.</summary>
    public static string Fresh(string stem)
    {
        stem = Path.Combine("runs", stem);
        if (!Directory.Exists(stem)) return stem;
        for (int k = 2; ; k++)
            if (!Directory.Exists($"{stem}-{k}")) return $"{stem}-{k}";
    }

    /// <summary>A fresh run refuses a folder that already holds a run: --resume continues it, another --out starts anew.</summary>
    public static void RequireNoRunIn(string runDirectory)
    {
        foreach (string entry in new[] { CheckpointFolder, CheckpointFolder + ".prev", MetricsLog.FileName })
            if (Path.Exists(Path.Combine(runDirectory, entry)))
                throw new CommandInputException($"--out {runDirectory} already holds a run ({entry}); continue it with --resume {runDirectory} or choose another folder.");
    }

    /// <summary>Removes a folder this run created, when the run failed before it could start.</summary>
    public static void TryDelete(string directory)
    {
        try { Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Removes a folder this run created, when it is still empty.</summary>
    public static void TryDeleteEmpty(string directory)
    {
        try { if (!Directory.EnumerateFileSystemEntries(directory).Any()) Directory.Delete(directory); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>The error that stops a diverged run: the reason, and the last good checkpoint, which is kept.</summary>
    public static CommandInputException Diverged(string reason, long lastSaved, string checkpointDirectory) =>
        new($"{reason}; stopped, the last good checkpoint (step {lastSaved}) is kept in {checkpointDirectory}.");

    /// <summary>The last lines of a run: where its plot, checkpoint and metrics are.</summary>
    public static void PrintPaths(TextWriter stdout, string plotPath, string checkpointDirectory, string metricsPath)
    {
        stdout.WriteLine($"plot: {plotPath}");
        stdout.WriteLine($"checkpoint: {checkpointDirectory}");
        stdout.WriteLine($"metrics: {metricsPath}");
    }
}
