namespace FastWeights.Kernels.Primitives;

/// <summary>
/// The dense launches every layer runs around its sweep, over all (b, t) rows at once: the input projection before it
/// and the parameter-gradient tail after it (docs/design.md §3.4). The layer loads the kernels it uses and passes them
/// in (one it never uses may be null); each method queues exactly the launch the layers queued themselves, with the same
/// block sizes, so results are bit-identical to theirs.
/// </summary>
internal sealed class DenseLaunches
{
    private readonly Accelerator accelerator;
    private readonly Action<AcceleratorStream, Index1D, InputProjectionArgs>? inputProjection;
    private readonly Action<AcceleratorStream, Index1D, OuterProductSumArgs>? outerProductSum;
    private readonly Action<AcceleratorStream, Index1D, InputGradientArgs>? inputGradient;
    private readonly Action<AcceleratorStream, Index1D, VectorGradientArgs>? vectorGradient;

    public DenseLaunches(Accelerator accelerator,
        Action<AcceleratorStream, Index1D, InputProjectionArgs>? inputProjection,
        Action<AcceleratorStream, Index1D, OuterProductSumArgs>? outerProductSum,
        Action<AcceleratorStream, Index1D, InputGradientArgs>? inputGradient,
        Action<AcceleratorStream, Index1D, VectorGradientArgs>? vectorGradient)
    {
        this.accelerator = accelerator;
        this.inputProjection = inputProjection;
        this.outerProductSum = outerProductSum;
        this.inputGradient = inputGradient;
        this.vectorGradient = vectorGradient;
    }

    /// <summary>output[n,i] = bias[i] + weights[i,:]·x[n,:] for the <paramref name="rows"/> rows of [rows, outputs].</summary>
    public void Project(AcceleratorStream stream, int rows, int outputs, int input, ArrayView<float> output, ArrayView<float> x,
        ArrayView<float> weights, ArrayView<float> bias)
    {
        int block = ElementBlocks.For(accelerator, (long)rows * outputs);
        inputProjection!(stream, (Index1D)ElementBlocks.Threads((long)rows * outputs, block), new InputProjectionArgs
        {
            Rows = rows, Hidden = outputs, Input = input, Block = block,
            Output = output.SubView(0, (long)rows * outputs), X = x, C = weights, Bias = bias,
        });
    }

    /// <summary>output[i,j] = Σ_b Σ_t left(b,t)[i] · right(b,t)[j], left rows [B,T,rowsOut] dense, right rows <paramref name="rightBatchStride"/> apart per sequence.</summary>
    public void OuterSum(AcceleratorStream stream, int batch, int time, int rowsOut, int cols, ArrayView<float> output,
        ArrayView<float> left, ArrayView<float> right, long rightBatchStride)
    {
        long total = (long)rowsOut * cols;
        int block = ElementBlocks.For(accelerator, total);
        outerProductSum!(stream, (Index1D)ElementBlocks.Threads(total, block), new OuterProductSumArgs
        {
            Batch = batch, Time = time, Rows = rowsOut, Cols = cols, Block = block,
            LeftBatchStride = (long)time * rowsOut, RightBatchStride = rightBatchStride,
            Output = output, Left = left, Right = right,
        });
    }

    /// <summary>
    /// The two weight gradients of a pre-activation a = W_h h_{t−1} + W_x x_t [rowsOut]: dW_h = Σ da_h h_{t−1}ᵀ from the
    /// states [B,T+1,H], then dW_x = Σ da_x x_tᵀ from x [B,T,I].
    /// </summary>
    public void WeightGradients(AcceleratorStream stream, int batch, int time, int rowsOut, int hidden, int input,
        ArrayView<float> dWh, ArrayView<float> recurrentGrad, ArrayView<float> states,
        ArrayView<float> dWx, ArrayView<float> inputGrad, ArrayView<float> x)
    {
        OuterSum(stream, batch, time, rowsOut, hidden, dWh, recurrentGrad, states, (long)(time + 1) * hidden);
        OuterSum(stream, batch, time, rowsOut, input, dWx, inputGrad, x, (long)time * input);
    }

    /// <summary>db, dg, dβ [hidden] from dz [rows, hidden] and the per-sequence layer-norm partials [B,2,hidden].</summary>
    public void VectorGradients(AcceleratorStream stream, int batch, int rows, int hidden,
        ArrayView<float> db, ArrayView<float> dGain, ArrayView<float> dBias, ArrayView<float> dz, ArrayView<float> layerNormGrad) =>
        vectorGradient!(stream, (Index1D)hidden, new VectorGradientArgs
        {
            Batch = batch, Rows = rows, Hidden = hidden,
            DB = db, DLnGain = dGain, DLnBias = dBias,
            Dz = dz, LayerNormGrad = layerNormGrad,
        });

    /// <summary>
    /// The gradients of z = W h_{t−1} + C x_t + b followed by a layer norm: dW = Σ dz h_{t−1}ᵀ, dC = Σ dz x_tᵀ, db, dg,
    /// dβ and (when <paramref name="hasDx"/>) dx = Cᵀ dz, from dz [B,T,H], the outer states [B,T+1,H] and the
    /// per-sequence layer-norm partials [B,2,H] (docs/design.md §3.4).
    /// </summary>
    public void ProjectionGradients(AcceleratorStream stream, int batch, int time, int hidden, int input,
        ArrayView<float> dW, ArrayView<float> dC, ArrayView<float> db, ArrayView<float> dGain, ArrayView<float> dBias,
        bool hasDx, ArrayView<float> dx, ArrayView<float> dz, ArrayView<float> states, ArrayView<float> layerNormGrad,
        ArrayView<float> x, ArrayView<float> c)
    {
        int rows = batch * time;
        WeightGradients(stream, batch, time, hidden, hidden, input, dW, dz, states, dC, dz, x);
        VectorGradients(stream, batch, rows, hidden, db, dGain, dBias, dz, layerNormGrad);
        InputGradient(stream, hasDx, rows, hidden, input, dx, dz, c);
    }

    /// <summary>When <paramref name="wanted"/>: dx [rows, input] = dz [rows, hidden] · weights [hidden, input].</summary>
    public void InputGradient(AcceleratorStream stream, bool wanted, int rows, int hidden, int input, ArrayView<float> dx,
        ArrayView<float> dz, ArrayView<float> weights)
    {
        if (!wanted) return;
        int dxBlock = ElementBlocks.For(accelerator, (long)rows * input);
        inputGradient!(stream, (Index1D)ElementBlocks.Threads((long)rows * input, dxBlock), new InputGradientArgs
        {
            Rows = rows, Hidden = hidden, Input = input, Block = dxBlock, DX = dx, Dz = dz, C = weights,
        });
    }
}
