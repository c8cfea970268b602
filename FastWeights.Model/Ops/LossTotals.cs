namespace FastWeights.Model.Ops;

/// <summary>Reads a loss op's per-row losses and correct flags back to the host and totals them.</summary>
internal static class LossTotals
{
    /// <summary>
    /// Copies the first <paramref name="count"/> losses and correct flags into the host arrays, waits for the stream, and
    /// returns Σ loss (in double, rows in order) and Σ correct.
    /// </summary>
    public static (double Loss, long Correct) Read(AcceleratorStream stream, ArrayView<float> losses, ArrayView<int> correct,
        float[] hostLosses, int[] hostCorrect, int count)
    {
        losses.SubView(0, count).CopyToCPU(stream, hostLosses.AsSpan(0, count));
        correct.SubView(0, count).CopyToCPU(stream, hostCorrect.AsSpan(0, count));
        stream.Synchronize();
        double sum = 0;
        long right = 0;
        for (int k = 0; k < count; k++) { sum += hostLosses[k]; right += hostCorrect[k]; }
        return (sum, right);
    }
}
