namespace FastWeights.Model.Training;

/// <summary>
/// Replaces a checkpoint directory as one unit: the new files go to a fresh sibling <c>&lt;dir&gt;.tmp-&lt;id&gt;</c> and are
/// flushed to disk; then <c>&lt;dir&gt;</c> becomes <c>&lt;dir&gt;.prev</c>, the new directory becomes <c>&lt;dir&gt;</c>, and
/// <c>&lt;dir&gt;.prev</c> is deleted. Each rename is atomic, so a process killed at any point leaves a complete checkpoint
/// under <c>&lt;dir&gt;</c> or <c>&lt;dir&gt;.prev</c> (<see cref="Checkpoint.Locate"/>).
/// </summary>
internal static class CheckpointDirectory
{
    private const string PreviousSuffix = ".prev";

    /// <summary>
    /// Fault injection for the tests (docs/reliability.md): when set, every checkpoint file's stream is passed through it
    /// before anything is written, so a test can make the disk "fill up" mid-save. Null in normal use.
    /// </summary>
    internal static Func<Stream, Stream>? StreamFault;
    private const string TemporaryInfix = ".tmp-";

    /// <summary>Where the previous checkpoint waits while a new one is moved into place.</summary>
    public static string PreviousOf(string directory) => Normalise(directory) + PreviousSuffix;

    /// <summary>Writes <paramref name="files"/> as the new content of <paramref name="directory"/> (see the class summary).</summary>
    /// <exception cref="IOException">Writing or renaming failed (the previous checkpoint stays in place), or an existing
    /// directory holds something other than a checkpoint's files, so replacing it could lose data.</exception>
    public static void Replace(string directory, IReadOnlyList<(string Name, byte[] Bytes)> files)
    {
        string target = Normalise(directory);
        string parent = Path.GetDirectoryName(target) ?? throw new IOException($"Checkpoint directory '{directory}' has no parent folder.");
        string previous = target + PreviousSuffix;
        RequireCheckpointOnly(target);
        RequireCheckpointOnly(previous);
        Directory.CreateDirectory(parent);
        RemoveLeftovers(parent, Path.GetFileName(target));

        string temporary = target + TemporaryInfix + Guid.NewGuid().ToString("N");
        Directory.CreateDirectory(temporary);
        try
        {
            foreach (var (name, bytes) in files)
            {
                using var file = new FileStream(Path.Combine(temporary, name), FileMode.CreateNew, FileAccess.Write, FileShare.None);
                using var stream = StreamFault is { } fault ? fault(file) : file;
                stream.Write(bytes);
                stream.Flush();
                file.Flush(flushToDisk: true);
            }
            if (Directory.Exists(target))
            {
                if (Directory.Exists(previous)) Directory.Delete(previous, recursive: true);
                Directory.Move(target, previous);
            }
            Directory.Move(temporary, target);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
        TryDelete(previous);
    }

    private static string Normalise(string directory) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));

    /// <summary>Refuses to move or delete a folder that holds anything a checkpoint does not (a user's folder given by mistake).</summary>
    private static void RequireCheckpointOnly(string directory)
    {
        if (!Directory.Exists(directory)) return;
        foreach (string entry in Directory.EnumerateFileSystemEntries(directory))
        {
            string name = Path.GetFileName(entry);
            bool ours = File.Exists(entry) && (name is Checkpoint.ModelFileName or Checkpoint.OptimizerFileName || name.EndsWith(".tmp", StringComparison.Ordinal));
            if (!ours)
                throw new IOException($"Checkpoint directory '{directory}' holds '{name}', which is not a checkpoint file; not replacing it.");
        }
    }

    /// <summary>Temporary directories of saves that were killed before their rename.</summary>
    private static void RemoveLeftovers(string parent, string name)
    {
        foreach (string stale in Directory.EnumerateDirectories(parent, name + TemporaryInfix + "*"))
            TryDelete(stale);
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover is removed by the next save and never read.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
