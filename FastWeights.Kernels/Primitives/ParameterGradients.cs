using FastWeights.Kernels.Host;

namespace FastWeights.Kernels.Primitives;

/// <summary>Arguments of <see cref="ParameterGradients.OuterProductSumKernel"/>.</summary>
internal struct OuterProductSumArgs
{
    public int Batch, Time, Rows, Cols;
    public int Block;                               // consecutive output elements per thread
    public long LeftBatchStride, RightBatchStride;  // elements between sequences
    public ArrayView<float> Output;                 // [Rows,Cols]
    public ArrayView<float> Left;                   // row (b,t) at b·LeftBatchStride + t·Rows
    public ArrayView<float> Right;                  // row (b,t) at b·RightBatchStride + t·Cols
}

/// <summary>Arguments of <see cref="ParameterGradients.InputGradientKernel"/>.</summary>
internal struct InputGradientArgs
{
    public int Rows, Hidden, Input;                 // Rows = B·T
    public int Block;                               // consecutive output elements per thread
    public ArrayView<float> DX;                     // [Rows,I] out
    public ArrayView<float> Dz;                     // [Rows,H]
    public ArrayView<float> C;                      // [H,I]
}

/// <summary>Arguments of <see cref="ParameterGradients.VectorGradientKernel"/>.</summary>
internal struct VectorGradientArgs
{
    public int Batch, Rows, Hidden;                 // Rows = B·T
    public ArrayView<float> DB, DLnGain, DLnBias;   // [H] out
    public ArrayView<float> Dz;                     // [Rows,H]
    public ArrayView<float> LayerNormGrad;          // [B,2,H] per-sequence partials
}

/// <summary>
/// The gradients that sum over the batch and time, formed after the reverse sweep from the stored dz
/// (docs/design.md §3.4). Every output element is computed by one thread that sums its terms in a fixed
/// order (b, then t), so the result is bit-identical from run to run: no atomics, no order that depends
/// on scheduling. A thread handles <c>Block</c> consecutive output elements (<see cref="ElementBlocks"/>),
/// which changes who computes an element but not how, so results do not depend on the block either.
/// </summary>
internal static class ParameterGradients
{
    /// <summary>How a layer loads <see cref="OuterProductSumKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, OuterProductSumArgs>> OuterProductSumEntry = AutoGrouped<OuterProductSumArgs>(OuterProductSumKernel, OuterProductSumHostKernel);
    /// <summary>How a layer loads <see cref="InputGradientKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, InputGradientArgs>> InputGradientEntry = AutoGrouped<InputGradientArgs>(InputGradientKernel, InputGradientHostKernel);
    /// <summary>How a layer loads <see cref="VectorGradientKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, VectorGradientArgs>> VectorGradientEntry = AutoGrouped<VectorGradientArgs>(VectorGradientKernel);
    /// <summary>Output[i,j] = Σ_b Σ_t Left(b,t)[i] · Right(b,t)[j]: dW = Σ dz h_{t−1}ᵀ and dC = Σ dz x_tᵀ.</summary>
    public static void OuterProductSumKernel(Index1D index, OuterProductSumArgs a)
    {
        long end = InputProjection.XMathMin(((long)index.X + 1) * a.Block, (long)a.Rows * a.Cols);
        for (long e = (long)index.X * a.Block; e < end; e++)
        {
            int i = (int)(e / a.Cols);
            int j = (int)(e - (long)i * a.Cols);
            float acc = 0f;
            for (int b = 0; b < a.Batch; b++)
            {
                long left = b * a.LeftBatchStride + i;
                long right = b * a.RightBatchStride + j;
                for (int t = 0; t < a.Time; t++)
                    acc += a.Left[left + (long)t * a.Rows] * a.Right[right + (long)t * a.Cols];
            }
            a.Output[e] = acc;
        }
    }

    /// <summary>dx[n,k] = Σ_i C[i,k] dz[n,i].</summary>
    public static void InputGradientKernel(Index1D index, InputGradientArgs a) =>
        InputGradientBlock(index, a.Block, a.Rows, a.Input, a.DX, a.C, a.Dz, a.Hidden, a.C, a.Dz, 0);

    /// <summary>
    /// The block of dx elements of thread <paramref name="index"/>: dx[n,k] = Σ_i W[i,k] g[n,i] + Σ_i W2[i,k] g2[n,i], each
    /// sum in i order into one accumulator, the second pair's terms after the first's (<paramref name="rows2"/> = 0: one
    /// pair, <see cref="InputGradientKernel"/>; two where x feeds two cells, the HyperLSTM's).
    /// </summary>
    public static void InputGradientBlock(Index1D index, int block, int rowCount, int input, ArrayView<float> dx,
        ArrayView<float> weights, ArrayView<float> grad, int rows, ArrayView<float> weights2, ArrayView<float> grad2, int rows2)
    {
        long end = InputProjection.XMathMin(((long)index.X + 1) * block, (long)rowCount * input);
        for (long e = (long)index.X * block; e < end; e++)
        {
            long n = e / input;
            int k = (int)(e - n * input);
            float acc = 0f;
            long gradRow = n * rows;
            for (int i = 0; i < rows; i++)
                acc += weights[(long)i * input + k] * grad[gradRow + i];
            long gradRow2 = n * rows2;
            for (int i = 0; i < rows2; i++)
                acc += weights2[(long)i * input + k] * grad2[gradRow2 + i];
            dx[e] = acc;
        }
    }

    /// <summary>db[i] = Σ_n dz[n,i]; dg[i] and dβ[i] = the per-sequence partials summed over b in order.</summary>
    /// <summary>
    /// <see cref="OuterProductSumKernel"/> for host execution: the block's elements taken as runs of one output row,
    /// each run accumulated as Σ_(b,t) Left[(b,t), i]·Right[(b,t), j0..j1] in SIMD, over (b, t) in the same order as the
    /// kernel's per-element sum.
    /// </summary>
    // Host execution calls this directly: optimise at the first call (no tier-0 code), since a benchmark or a short
    // job would otherwise time unoptimised loops (measured 3-4x slower in a 4-call run). ILGPU ignores the flag.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void OuterProductSumHostKernel(Index1D index, OuterProductSumArgs a)
    {
        var math = default(Host.HostVectorMath);
        long end = InputProjection.XMathMin(((long)index.X + 1) * a.Block, (long)a.Rows * a.Cols);
        for (long e = (long)index.X * a.Block; e < end;)
        {
            int i = (int)(e / a.Cols);
            int j0 = (int)(e - (long)i * a.Cols);
            int length = (int)Math.Min(a.Cols - j0, end - e);
            math.Fill(a.Output, e, 0f, length);
            for (int b = 0; b < a.Batch; b++)
                RowProducts.AccumulateWeightedRows(math, new StridedRowWeights(a.Left, b * a.LeftBatchStride + i, a.Rows), a.Time,
                    a.Right, b * a.RightBatchStride + j0, a.Cols, a.Output, e, length);
            e += length;
        }
    }

    /// <summary>
    /// <see cref="InputGradientKernel"/> for host execution: runs of one row of dx accumulated as Σ_i dz[n,i]·C[i, k0..k1]
    /// in SIMD, over i in the same order as the kernel's per-element sum.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void InputGradientHostKernel(Index1D index, InputGradientArgs a)
    {
        var math = default(Host.HostVectorMath);
        long end = InputProjection.XMathMin(((long)index.X + 1) * a.Block, (long)a.Rows * a.Input);
        for (long e = (long)index.X * a.Block; e < end;)
        {
            long n = e / a.Input;
            int k0 = (int)(e - n * a.Input);
            int length = (int)Math.Min(a.Input - k0, end - e);
            math.Fill(a.DX, e, 0f, length);
            RowProducts.AccumulateWeightedRows(math, new StridedRowWeights(a.Dz, n * a.Hidden, 1), a.Hidden,
                a.C, k0, a.Input, a.DX, e, length);
            e += length;
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void VectorGradientKernel(Index1D index, VectorGradientArgs a)
    {
        int i = index;
        float db = 0f;
        for (long n = 0; n < a.Rows; n++)
            db += a.Dz[n * a.Hidden + i];
        a.DB[i] = db;
        NormGradientAt(i, a.Batch, a.Hidden, a.LayerNormGrad, a.DLnGain, a.DLnBias);
    }

    /// <summary>
    /// dγ[j] and dβ[j] of one layer norm of <paramref name="width"/> entries from the per-sequence partials [B,2,width]
    /// (Σ dn ⊙ x̂, then Σ dn), each summed over b in index order: a device function of the kernels that form them.
    /// </summary>
    public static void NormGradientAt(int j, int batch, int width, ArrayView<float> partials, ArrayView<float> dGain, ArrayView<float> dBias)
    {
        float dg = 0f, dBeta = 0f;
        for (int b = 0; b < batch; b++)
        {
            dg += partials[(long)b * 2 * width + j];
            dBeta += partials[(long)b * 2 * width + width + j];
        }
        dGain[j] = dg;
        dBias[j] = dBeta;
    }
}
