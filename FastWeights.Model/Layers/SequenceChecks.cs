using FastWeights.Kernels.Core;

namespace FastWeights.Model.Layers;

/// <summary>The (batch, time) check every sequence module with buffers sized for (MaxBatch, MaxTime) makes before any kernel runs.</summary>
internal static class SequenceChecks
{
    /// <summary>The largest (batch, time) a module allocates for: both ≥ 1.</summary>
    /// <exception cref="ArgumentOutOfRangeException">maxBatch or maxTime &lt; 1 (the message names it).</exception>
    public static void Limits(int maxBatch, int maxTime)
    {
        ViewChecks.Positive(maxBatch, nameof(maxBatch));
        ViewChecks.Positive(maxTime, nameof(maxTime));
    }

    /// <summary>Rows = batch·time, after checking 1 ≤ batch ≤ <paramref name="maxBatch"/> and 1 ≤ time ≤ <paramref name="maxTime"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">batch or time out of range (the message names it).</exception>
    public static long Rows(int batch, int time, int maxBatch, int maxTime)
    {
        if (batch < 1 || batch > maxBatch) throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch must be in 1..{maxBatch}.");
        if (time < 1 || time > maxTime) throw new ArgumentOutOfRangeException(nameof(time), time, $"time must be in 1..{maxTime}.");
        return (long)batch * time;
    }

    /// <summary><see cref="Rows(int, int, int, int)"/> as an int, after checking that the stream lives on <paramref name="accelerator"/>.</summary>
    /// <exception cref="ArgumentException">The stream lives elsewhere.</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time out of range (the message names it).</exception>
    public static int Rows(AcceleratorStream stream, Accelerator accelerator, int batch, int time, int maxBatch, int maxTime)
    {
        ViewChecks.Stream(stream, accelerator);
        return (int)Rows(batch, time, maxBatch, maxTime);
    }
}
