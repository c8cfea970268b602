using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.HyperLstm;

/// <summary>Arguments of <see cref="HyperLstmReductions.ColumnSumKernel"/>.</summary>
internal struct ColumnSumArgs
{
    public int Rows, Columns;                       // Rows = B·T
    public long Offset, RowStride;                  // element (n, i) at Offset + n·RowStride + i
    public ArrayView<float> Output;                 // [Columns]
    public ArrayView<float> Input;
}

/// <summary>Arguments of <see cref="HyperLstmReductions.ScalingWeightGradientKernel"/>.</summary>
internal struct ScalingWeightGradientArgs
{
    public int Rows, Hidden, Embedding;             // Rows = B·T
    public int Block;                               // consecutive output elements per thread
    public ArrayView<float> Output;                 // [12H, N_z] dW_d
    public ArrayView<float> ScalingGrad;            // [Rows,12H] dd
    public ArrayView<float> Embeddings;             // [Rows,12N_z] z
}

/// <summary>Arguments of <see cref="HyperLstmReductions.InputGradientKernel"/>.</summary>
internal struct DualInputGradientArgs
{
    public int Rows, Input, MainRows, HyperRows;    // Rows = B·T; MainRows = 4H, HyperRows = 4N_h
    public int Block;
    public ArrayView<float> DX;                     // [Rows,I] out
    public ArrayView<float> MainGrad, MainWeights;  // [Rows,4H] dv, [4H,I] W_x
    public ArrayView<float> HyperGrad, HyperWeights;// [Rows,4N_h] hyper da, [4N_h,I] Ŵ_x
}

/// <summary>
/// The gradients of the HyperLSTM that the shared <see cref="ParameterGradients"/> kernels do not cover, with the same
/// rule: one thread per output element, terms summed in a fixed order (rows n = b·T + t ascending), so results are
/// bit-identical run to run and independent of the block size.
/// </summary>
internal static class HyperLstmReductions
{
    /// <summary>How a layer loads <see cref="ColumnSumKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, ColumnSumArgs>> ColumnSumEntry = AutoGrouped<ColumnSumArgs>(ColumnSumKernel);
    /// <summary>How a layer loads <see cref="ScalingWeightGradientKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, ScalingWeightGradientArgs>> ScalingWeightGradientEntry = AutoGrouped<ScalingWeightGradientArgs>(ScalingWeightGradientKernel);
    /// <summary>How a layer loads <see cref="InputGradientKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, DualInputGradientArgs>> InputGradientEntry = AutoGrouped<DualInputGradientArgs>(InputGradientKernel);
    /// <summary>Output[i] = Σ_n Input[Offset + n·RowStride + i]: db (from dd_b) and db_z (from dz).</summary>
    public static void ColumnSumKernel(Index1D index, ColumnSumArgs a)
    {
        int i = index;
        float acc = 0f;
        for (long n = 0; n < a.Rows; n++)
            acc += a.Input[a.Offset + n * a.RowStride + i];
        a.Output[i] = acc;
    }

    /// <summary>dW_d[R, m] = Σ_n dd[n, R] · z[n, (R / H)·N_z + m]: each row R = (τ·4 + k)·H + j meets its own z block.</summary>
    public static void ScalingWeightGradientKernel(Index1D index, ScalingWeightGradientArgs a)
    {
        long total = 12L * a.Hidden * a.Embedding;
        long end = InputProjection.XMathMin(((long)index.X + 1) * a.Block, total);
        for (long e = (long)index.X * a.Block; e < end; e++)
        {
            int row = (int)(e / a.Embedding);
            int m = (int)(e - (long)row * a.Embedding);
            int zColumn = row / a.Hidden * a.Embedding + m;
            float acc = 0f;
            for (long n = 0; n < a.Rows; n++)
                acc += a.ScalingGrad[n * 12 * a.Hidden + row] * a.Embeddings[n * 12 * a.Embedding + zColumn];
            a.Output[e] = acc;
        }
    }

    /// <summary>dx[n,k] = Σ_i W_x[i,k] dv[n,i] + Σ_i Ŵ_x[i,k] da'[n,i]: x feeds both the main and the hyper cell.</summary>
    public static void InputGradientKernel(Index1D index, DualInputGradientArgs a) =>
        ParameterGradients.InputGradientBlock(index, a.Block, a.Rows, a.Input, a.DX,
            a.MainWeights, a.MainGrad, a.MainRows, a.HyperWeights, a.HyperGrad, a.HyperRows);
}
