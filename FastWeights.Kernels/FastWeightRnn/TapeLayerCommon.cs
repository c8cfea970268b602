using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// What the attention form (<see cref="AttentionFormRnn"/>) and the per-step-launch baseline share with the fused
/// layer: the argument checks of docs/design.md §7 (same messages, same names), the input projection before the
/// recurrence and the parameter-gradient reductions after it (docs/design.md §3.4). Kernels come from the catalogs (once per accelerator).
/// </summary>
internal sealed class TapeLayerCommon
{
    private readonly DenseLaunches dense;

    public TapeLayerCommon(Accelerator accelerator, FastWeightRnnOptions options)
    {
        LayerSkeleton.CheckConstruction(accelerator, options);
        options.Validate();
        Accelerator = accelerator;
        Options = options;
        dense = new DenseLaunches(accelerator, InputProjection.Entry.Load(accelerator),
            ParameterGradients.OuterProductSumEntry.Load(accelerator), ParameterGradients.InputGradientEntry.Load(accelerator),
            ParameterGradients.VectorGradientEntry.Load(accelerator));
    }

    public Accelerator Accelerator { get; }
    public FastWeightRnnOptions Options { get; }
    public int H => Options.HiddenSize;
    public int I => Options.InputSize;
    public int S => Options.InnerSteps;

    /// <summary>
    /// Float32 elements of each buffer of a form's workspace, in allocation order: first the vector tape both forms keep
    /// (<see cref="TapeWorkspace"/> allocates it), then the form's own buffers (<paramref name="formBuffers"/>), last the
    /// per-sequence layer-norm partials both forms hand to <see cref="FormParameterGradients"/>.
    /// </summary>
    public static long[] Elements(long b, long t, long h, long s, params ReadOnlySpan<long> formBuffers) =>
    [
        b * t * h,              // Projection: u, then dz
        b * (t + 1) * h,        // States
        b * t * s * h,          // InnerStates
        b * t * s * h,          // Normalized
        b * t * s,              // InverseStd
        .. formBuffers,
        b * 2 * h,              // LayerNormGrad
    ];

    /// <summary>Elements per thread of an element-wise kernel over <paramref name="total"/> elements (<see cref="ElementBlocks"/>).</summary>
    public int Block(long total) => ElementBlocks.For(Accelerator, total);

    public static Index1D Threads(long total, int block) => (Index1D)ElementBlocks.Threads(total, block);

    // ------------------------------------------------------------------ checks (docs/design.md §7)

    public void ThrowIfAcceleratorDisposed() => LayerSkeleton.ThrowIfAcceleratorDisposed(Accelerator);

    /// <summary>
    /// Sizes of a call. <paramref name="squareThreads"/>: a kernel launches one thread per (b, i, j)
    /// on a GPU, so B·H² must fit a 32-bit thread index as well.
    /// </summary>
    public void CheckSizes(int batch, int time, bool squareThreads)
    {
        ViewChecks.Positive(batch, nameof(batch));
        ViewChecks.Positive(time, nameof(time));
        if ((long)batch * time * Math.Max(H, I) > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, "B·T·max(H, I) must be below 2³¹.");
        if (squareThreads && (long)batch * H * H > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, "B·H² must be below 2³¹.");
    }

    public void CheckWorkspaceRequest(int maxBatch, int maxTime) => LayerSkeleton.CheckWorkspaceRequest(maxBatch, maxTime);

    private void CheckCall(AcceleratorStream stream, TapeWorkspace workspace, int batch, int time, bool squareThreads)
    {
        ViewChecks.Stream(stream, Accelerator);
        ArgumentNullException.ThrowIfNull(workspace);
        workspace.CheckOwner(Accelerator);
        if (workspace.Hidden != H || workspace.InnerSteps != S)
            throw new ArgumentException("workspace was created by a layer with other sizes.", nameof(workspace));
        CheckSizes(batch, time, squareThreads);
        workspace.CheckCapacity(batch, time);
    }

    /// <summary>Every check of a forward, in the fused layer's order; returns which optional inputs are present.</summary>
    public (bool HasH0, bool HasA0) CheckForward(AcceleratorStream stream, TapeWorkspace workspace,
        ArrayView<float> y, ArrayView<float> hT, ArrayView<float> aT,
        ArrayView<float> x, ArrayView<float> h0, ArrayView<float> a0,
        FastWeightRnnParameters parameters, int batch, int time, bool squareThreads)
    {
        CheckCall(stream, workspace, batch, time, squareThreads);
        return FastWeightRnnViews.CheckForward(Accelerator, Options, y, hT, aT, x, h0, a0, parameters, batch, time);
    }

    /// <summary>Every check of a backward, in the fused layer's order.</summary>
    public FastWeightRnnBackwardViews CheckBackward(object owner, AcceleratorStream stream, TapeWorkspace workspace,
        ArrayView<float> dx, ArrayView<float> dh0, ArrayView<float> dA0, FastWeightRnnParameterGradients gradients,
        ArrayView<float> dy, ArrayView<float> dhT, ArrayView<float> dAT,
        ArrayView<float> x, FastWeightRnnParameters parameters, int batch, int time, bool squareThreads)
    {
        CheckCall(stream, workspace, batch, time, squareThreads);
        workspace.RequireForward(owner, batch, time);
        return FastWeightRnnViews.CheckBackward(Accelerator, Options, dx, dh0, dA0, gradients, dy, dhT, dAT, x, parameters, batch, time);
    }

    // ------------------------------------------------------------------ shared launches

    /// <summary>u = C x + b for every (b, t) into <paramref name="output"/> [B,T,H], as the fused layer does.</summary>
    public void Project(AcceleratorStream stream, ArrayView<float> output, ArrayView<float> x, FastWeightRnnParameters p, int batch, int time) =>
        dense.Project(stream, batch * time, H, I, output, x, p.C, p.B);

    /// <summary>
    /// dW = Σ dz h_{t−1}ᵀ, dC = Σ dz x_tᵀ, db, dg, dβ and (when wanted) dx = Cᵀ dz, from dz [B,T,H],
    /// the outer states [B,T+1,H] and the per-sequence layer-norm partials [B,2,H] (docs/design.md §3.4).
    /// </summary>
    public void FormParameterGradients(AcceleratorStream stream, FastWeightRnnParameterGradients gradients, ArrayView<float> dx, bool hasDx,
        ArrayView<float> dz, ArrayView<float> states, ArrayView<float> layerNormGrad, ArrayView<float> x, ArrayView<float> c,
        int batch, int time)
    {
        dense.ProjectionGradients(stream, batch, time, H, I, gradients.DW, gradients.DC, gradients.DB, gradients.DLnGain,
            gradients.DLnBias, hasDx, dx, dz, states, layerNormGrad, x, c);
    }
}
