using FastWeights.Bench.Cli;
using FastWeights.Bench.Reporting;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Runs;

/// <summary>
/// A training run's hold on its run folder (`retrieval train`, `lm train`): the folder it resumes, locked before its
/// checkpoint is read (so that a checkpoint another process is still writing is never read), or the fresh folder it
/// creates and locks; the lock is released when the lease is disposed.
/// </summary>
internal sealed class RunLease : IDisposable
{
    private RunLock? runLock;

    /// <summary>The run folder being resumed, or null for a fresh run.</summary>
    public string? ResumeRun { get; private set; }

    /// <summary>The checkpoint folder the resume reads (checkpoint/, or checkpoint.prev/ after an interrupted save).</summary>
    public string? ResumeCheckpoint { get; private set; }

    /// <summary>
    /// For --resume <paramref name="resume"/>: locks its run folder (when <paramref name="lockFolder"/>: rank 0 only under
    /// mpirun), finds its checkpoint and returns the checkpoint's metadata. Null (and nothing done) for a fresh run.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Resume(string? resume, bool lockFolder)
    {
        if (resume is null) return null;
        ResumeRun = RunFolder.Of(resume);
        if (lockFolder && Directory.Exists(ResumeRun)) runLock = RunLock.Acquire(ResumeRun, "--resume");
        ResumeCheckpoint = Checkpoint.Locate(Path.Combine(ResumeRun, RunFolder.CheckpointFolder));
        try { return Checkpoint.ReadMetadata(ResumeCheckpoint); }
        catch (CheckpointException e) { throw new CommandInputException($"--resume {resume}: {e.Message}"); }
    }

    /// <summary>
    /// On a resume, reads the checkpoint back into the trainer with <paramref name="resume"/>; a checkpoint that does not
    /// fit is one line starting with <paramref name="option"/>.
    /// </summary>
    public void Restore(string option, Action<string> resume)
    {
        if (ResumeCheckpoint is null) return;
        try { resume(ResumeCheckpoint); }
        catch (CheckpointException e) { throw new CommandInputException($"{option}: {e.Message}"); }
    }

    /// <summary>
    /// Creates <paramref name="runDirectory"/> and locks it, unless a lock is held already (a resume) or
    /// <paramref name="lockFolder"/> is false; returns whether the folder did not exist before.
    /// </summary>
    public bool Create(string runDirectory, bool lockFolder)
    {
        bool created = !Directory.Exists(runDirectory);
        if (runLock is null && lockFolder)
        {
            Directory.CreateDirectory(runDirectory);
            try { runLock = RunLock.Acquire(runDirectory, "--out"); }
            catch
            {
                if (created) RunFolder.TryDeleteEmpty(runDirectory);
                throw;
            }
        }
        return created;
    }

    /// <summary>
    /// Opens metrics.csv: on a resume it keeps the rows through <paramref name="step"/> and gives the seconds the run had
    /// taken before; on a fresh run it creates the file and calls <paramref name="saveFirst"/> (the step-0 checkpoint, so
    /// that the folder is resumable at once), removing the folder again when it was <paramref name="created"/> and either fails.
    /// </summary>
    public MetricsLog OpenMetrics(string runDirectory, string metricsPath, long step, string option, bool created, Action saveFirst,
        out double elapsedBefore)
    {
        elapsedBefore = 0;
        if (ResumeCheckpoint is not null)
        {
            try
            {
                var metrics = MetricsLog.Resume(metricsPath, keepThroughStep: step);
                var earlier = MetricsLog.Load(metricsPath);
                if (earlier.Count > 0) elapsedBefore = earlier[^1].ElapsedSeconds;
                return metrics;
            }
            catch (FormatException e) { throw new CommandInputException($"{option}: {e.Message}"); }
        }
        try
        {
            var metrics = MetricsLog.Create(metricsPath);
            saveFirst();
            return metrics;
        }
        catch
        {
            if (created) RunFolder.TryDelete(runDirectory);
            throw;
        }
    }

    /// <summary>Releases the run lock, if one is held.</summary>
    public void Dispose() => runLock?.Dispose();
}
