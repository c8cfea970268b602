using FastWeights.Kernels.Compilation;
using FastWeights.Kernels.Core;
using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Primitives;
using FastWeights.Kernels.Validation;
using ILGPU;
using ILGPU.Runtime;

namespace FastWeights.Kernels.Baselines;

/// <summary>
/// What both baselines share with the fused layer: the argument checks of docs/design.md §7 (same
/// messages, same names), the input projection before the recurrence and the parameter-gradient
/// reductions after it (docs/design.md §3.4). Kernels are loaded once per baseline instance.
/// </summary>
internal sealed class BaselineCommon
{
    private readonly DenseLaunches dense;

    public BaselineCommon(Accelerator accelerator, FastWeightRnnOptions options)
    {
        LayerSkeleton.CheckConstruction(accelerator, options);
        options.Validate();
        Accelerator = accelerator;
        Options = options;
        dense = new DenseLaunches(accelerator, KernelCatalog.InputProjectionKernel.Load(accelerator),
            KernelCatalog.OuterProductSum.Load(accelerator), KernelCatalog.InputGradient.Load(accelerator),
            KernelCatalog.VectorGradient.Load(accelerator));
    }

    public Accelerator Accelerator { get; }
    public FastWeightRnnOptions Options { get; }
    public int H => Options.HiddenSize;
    public int I => Options.InputSize;
    public int S => Options.InnerSteps;

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

    private void CheckCall(AcceleratorStream stream, BaselineWorkspace workspace, int batch, int time, bool squareThreads)
    {
        ViewChecks.Stream(stream, Accelerator);
        ArgumentNullException.ThrowIfNull(workspace);
        workspace.CheckOwner(Accelerator);
        if (workspace.Hidden != H || workspace.InnerSteps != S)
            throw new ArgumentException("workspace was created by a layer with other sizes.", nameof(workspace));
        CheckSizes(batch, time, squareThreads);
        workspace.CheckCapacity(batch, time);
    }

    private void CheckParameters(FastWeightRnnParameters p)
    {
        ViewChecks.Required(p.W, "W", (long)H * H, $"[H={H},H={H}]", Accelerator);
        ViewChecks.Required(p.C, "C", (long)H * I, $"[H={H},I={I}]", Accelerator);
        ViewChecks.Required(p.B, "B", H, $"[H={H}]", Accelerator);
        ViewChecks.Required(p.LnGain, "LnGain", H, $"[H={H}]", Accelerator);
        ViewChecks.Required(p.LnBias, "LnBias", H, $"[H={H}]", Accelerator);
    }

    /// <summary>Every check of a forward, in the fused layer's order; returns which optional inputs are present.</summary>
    public (bool HasH0, bool HasA0) CheckForward(AcceleratorStream stream, BaselineWorkspace workspace,
        ArrayView<float> y, ArrayView<float> hT, ArrayView<float> aT,
        ArrayView<float> x, ArrayView<float> h0, ArrayView<float> a0,
        FastWeightRnnParameters parameters, int batch, int time, bool squareThreads)
    {
        CheckCall(stream, workspace, batch, time, squareThreads);
        long bh = (long)batch * H, bhh = bh * H, bth = (long)batch * time * H;
        ViewChecks.Required(y, nameof(y), bth, $"[B={batch},T={time},H={H}]", Accelerator);
        ViewChecks.Required(hT, nameof(hT), bh, $"[B={batch},H={H}]", Accelerator);
        ViewChecks.Required(aT, nameof(aT), bhh, $"[B={batch},H={H},H={H}]", Accelerator);
        ViewChecks.Required(x, nameof(x), (long)batch * time * I, $"[B={batch},T={time},I={I}]", Accelerator);
        bool hasH0 = ViewChecks.Optional(h0, nameof(h0), bh, $"[B={batch},H={H}]", Accelerator);
        bool hasA0 = ViewChecks.Optional(a0, nameof(a0), bhh, $"[B={batch},H={H},H={H}]", Accelerator);
        CheckParameters(parameters);
        return (hasH0, hasA0);
    }

    /// <summary>Which optional views of a backward are present.</summary>
    public readonly record struct BackwardViews(bool HasDx, bool HasDh0, bool HasDA0, bool HasDhT, bool HasDAT);

    /// <summary>Every check of a backward, in the fused layer's order.</summary>
    public BackwardViews CheckBackward(object owner, AcceleratorStream stream, BaselineWorkspace workspace,
        ArrayView<float> dx, ArrayView<float> dh0, ArrayView<float> dA0, FastWeightRnnParameterGradients gradients,
        ArrayView<float> dy, ArrayView<float> dhT, ArrayView<float> dAT,
        ArrayView<float> x, FastWeightRnnParameters parameters, int batch, int time, bool squareThreads)
    {
        CheckCall(stream, workspace, batch, time, squareThreads);
        workspace.RequireForward(owner, batch, time);
        long bh = (long)batch * H, bhh = bh * H, bth = (long)batch * time * H, bti = (long)batch * time * I;
        bool hasDx = ViewChecks.Optional(dx, nameof(dx), bti, $"[B={batch},T={time},I={I}]", Accelerator);
        bool hasDh0 = ViewChecks.Optional(dh0, nameof(dh0), bh, $"[B={batch},H={H}]", Accelerator);
        bool hasDA0 = ViewChecks.Optional(dA0, nameof(dA0), bhh, $"[B={batch},H={H},H={H}]", Accelerator);
        ViewChecks.Required(gradients.DW, "DW", (long)H * H, $"[H={H},H={H}]", Accelerator);
        ViewChecks.Required(gradients.DC, "DC", (long)H * I, $"[H={H},I={I}]", Accelerator);
        ViewChecks.Required(gradients.DB, "DB", H, $"[H={H}]", Accelerator);
        ViewChecks.Required(gradients.DLnGain, "DLnGain", H, $"[H={H}]", Accelerator);
        ViewChecks.Required(gradients.DLnBias, "DLnBias", H, $"[H={H}]", Accelerator);
        ViewChecks.Required(dy, nameof(dy), bth, $"[B={batch},T={time},H={H}]", Accelerator);
        bool hasDhT = ViewChecks.Optional(dhT, nameof(dhT), bh, $"[B={batch},H={H}]", Accelerator);
        bool hasDAT = ViewChecks.Optional(dAT, nameof(dAT), bhh, $"[B={batch},H={H},H={H}]", Accelerator);
        ViewChecks.Required(x, nameof(x), bti, $"[B={batch},T={time},I={I}]", Accelerator);
        CheckParameters(parameters);
        return new BackwardViews(hasDx, hasDh0, hasDA0, hasDhT, hasDAT);
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
