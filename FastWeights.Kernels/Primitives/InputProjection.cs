using ILGPU;

namespace FastWeights.Kernels.Primitives;

/// <summary>Arguments of <see cref="InputProjection"/>.</summary>
internal struct InputProjectionArgs
{
    public int Rows, Hidden, Input;                 // Rows = B·T
    public ArrayView<float> Output;                 // [Rows,H] u = C x + b
    public ArrayView<float> X;                      // [Rows,I]
    public ArrayView<float> C, Bias;                // [H,I], [H]
}

/// <summary>
/// u[n,i] = b[i] + Σ_k C[i,k] x[n,k] for every (b,t) at once, before the recurrence: the part of
/// z that does not depend on h, so the sequential sweep does only the H×H work.
/// One thread per output element; the sum runs over k in order.
/// </summary>
internal static class InputProjection
{
    public static void Kernel(Index1D index, InputProjectionArgs a)
    {
        long n = index / a.Hidden;
        int i = (int)(index - n * a.Hidden);
        float acc = a.Bias[i];
        long xRow = n * a.Input, cRow = (long)i * a.Input;
        for (int k = 0; k < a.Input; k++)
            acc += a.C[cRow + k] * a.X[xRow + k];
        a.Output[index] = acc;
    }
}
