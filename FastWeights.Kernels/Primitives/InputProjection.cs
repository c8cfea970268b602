using ILGPU;

namespace FastWeights.Kernels.Primitives;

/// <summary>Arguments of <see cref="InputProjection"/>.</summary>
internal struct InputProjectionArgs
{
    public int Rows, Hidden, Input;                 // Rows = B·T
    public int Block;                               // consecutive output elements per thread
    public ArrayView<float> Output;                 // [Rows,H] u = C x + b
    public ArrayView<float> X;                      // [Rows,I]
    public ArrayView<float> C, Bias;                // [H,I], [H]
}

/// <summary>
/// u[n,i] = b[i] + Σ_k C[i,k] x[n,k] for every (b,t) at once, before the recurrence: the part of
/// z that does not depend on h, so the sequential sweep does only the H×H work.
/// Each thread computes <see cref="InputProjectionArgs.Block"/> consecutive output elements (see
/// <see cref="ElementBlocks"/>); each element's sum runs over k in order, so the result does not depend on the block.
/// </summary>
internal static class InputProjection
{
    public static void Kernel(Index1D index, InputProjectionArgs a)
    {
        long total = (long)a.Rows * a.Hidden;
        long end = XMathMin(((long)index.X + 1) * a.Block, total);
        for (long e = (long)index.X * a.Block; e < end; e++)
        {
            long n = e / a.Hidden;
            int i = (int)(e - n * a.Hidden);
            float acc = a.Bias[i];
            long xRow = n * a.Input, cRow = (long)i * a.Input;
            for (int k = 0; k < a.Input; k++)
                acc += a.C[cRow + k] * a.X[xRow + k];
            a.Output[e] = acc;
        }
    }

    internal static long XMathMin(long a, long b) => a < b ? a : b;
}
