namespace FastWeights.Kernels.LinearFastWeights;

/// <summary>
/// Kahan's compensated summation for the sweeps' running sums W and z, element by element: the sum s lives in its own
/// buffer and loss[index] holds the rounding it still owes, so the represented value is s − loss (about one rounding
/// of error however many terms were added, instead of a random walk of √n roundings). With compensation off the
/// helpers are the plain float32 operations, so results are bit-identical to uncompensated code.
/// </summary>
/// <remarks>
/// (next − s) − added must be evaluated as written: the CPU accelerator runs IEEE float32 as written; on CUDA, ILGPU
/// emits plain add/sub instructions (no reassociation), and a contracted fma(u, k, −loss) only makes the term exact.
/// </remarks>
internal static class CompensatedSum
{
    /// <summary>Returns s + x, keeping the lost low part in loss[index] when <paramref name="compensate"/> ≠ 0.</summary>
    public static float Add(float s, float x, ArrayView<float> loss, long index, int compensate)
    {
        if (compensate == 0)
            return s + x;
        float added = x - loss[index];
        float next = s + added;
        loss[index] = (next - s) - added;
        return next;
    }

    /// <summary>The represented value s − loss[index], rounded once to float32 (s when compensation is off).</summary>
    public static float Value(float s, ArrayView<float> loss, long index, int compensate) =>
        compensate != 0 ? s - loss[index] : s;

    /// <summary>Sets loss[index] to 0 (the sum is exact again), when compensation is on.</summary>
    public static void Reset(ArrayView<float> loss, long index, int compensate)
    {
        if (compensate != 0)
            loss[index] = 0f;
    }

    /// <summary>Copies a compensation term, when compensation is on.</summary>
    public static void Copy(ArrayView<float> to, long toIndex, ArrayView<float> from, long fromIndex, int compensate)
    {
        if (compensate != 0)
            to[toIndex] = from[fromIndex];
    }
}
