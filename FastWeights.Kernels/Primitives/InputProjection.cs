using FastWeights.Kernels.Host;

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
    /// <summary>How a layer loads <see cref="Kernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, InputProjectionArgs>> Entry = AutoGrouped<InputProjectionArgs>(Kernel, HostKernel);
    public static void Kernel(Index1D index, InputProjectionArgs a) => Body(default(ScalarVectorMath), index, a);

    /// <summary><see cref="Kernel"/> with SIMD dot products, for host execution only (<c>Host/HostExecution</c>).</summary>
    public static void HostKernel(Index1D index, InputProjectionArgs a) => Body(default(Host.HostVectorMath), index, a);

    // Host execution calls this directly: optimise at the first call (no tier-0 code), since a benchmark or a short
    // job would otherwise time unoptimised loops (measured 3-4x slower in a 4-call run). ILGPU ignores the flag.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Body<TMath>(TMath math, int index, InputProjectionArgs a)
        where TMath : struct, IVectorMath
    {
        long total = (long)a.Rows * a.Hidden;
        long end = XMathMin(((long)index + 1) * a.Block, total);
        for (long e = (long)index * a.Block; e < end; e++)
        {
            long n = e / a.Hidden;
            int i = (int)(e - n * a.Hidden);
            a.Output[e] = RowProducts.AffineAt(math, a.C, a.Bias, i, a.Input, a.X, n * a.Input);
        }
    }

    internal static long XMathMin(long a, long b) => a < b ? a : b;
}
