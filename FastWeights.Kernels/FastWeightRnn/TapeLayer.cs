using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// The public surface the two tape-keeping forms of the fast-weight layer share (<see cref="AttentionFormRnn"/> and the
/// per-step-launch baseline of FastWeights.Kernels.Baselines): workspace sizing and creation, and the checked
/// <see cref="Forward"/> and <see cref="Backward"/>, which run the argument checks of docs/design.md §7 in the fused
/// layer's order and then the form's own launches. Same semantics, layout and argument rules as
/// <see cref="FastWeightRnnLayer"/> (docs/design.md §2, §7); each form's launches and memory are in docs/baselines.md.
/// </summary>
/// <remarks>
/// For the forms themselves it also holds what they share with the fused layer: the argument checks (same messages, same
/// names), the input projection before the recurrence and the parameter-gradient reductions after it (docs/design.md
/// §3.4). Kernels come from the catalogs (once per accelerator).
/// </remarks>
/// <typeparam name="TWorkspace">The form's workspace.</typeparam>
public abstract class TapeLayer<TWorkspace> : IDisposable where TWorkspace : TapeWorkspace
{
    private readonly DenseLaunches dense;
    private readonly bool squareThreads;
    private readonly Func<int, int, int, int, long> elements;
    private readonly Func<Accelerator, int, int, int, int, TWorkspace> create;
    private bool disposed;

    /// <summary>Validates the options and loads the shared launches.</summary>
    /// <param name="accelerator">Where every buffer and stream passed later must live.</param>
    /// <param name="options">Sizes and hyper-parameters.</param>
    /// <param name="squareThreads">Whether a kernel of the form launches one thread per (b, i, j), so B·H² must fit a
    /// 32-bit thread index as well (<see cref="CheckSizes"/>).</param>
    /// <param name="elements">The form's <c>Elements</c>(B, T, H, S): float32 elements of a workspace, as it allocates them.</param>
    /// <param name="create">The form's workspace constructor (accelerator, max B, max T, H, S); the sizes are checked before.</param>
    private protected TapeLayer(Accelerator accelerator, FastWeightRnnOptions options, bool squareThreads,
        Func<int, int, int, int, long> elements, Func<Accelerator, int, int, int, int, TWorkspace> create)
    {
        LayerSkeleton.CheckConstruction(accelerator, options);
        options.Validate();
        Accelerator = accelerator;
        Options = options;
        dense = new DenseLaunches(accelerator, InputProjection.Entry.Load(accelerator),
            ParameterGradients.OuterProductSumEntry.Load(accelerator), ParameterGradients.InputGradientEntry.Load(accelerator),
            ParameterGradients.VectorGradientEntry.Load(accelerator));
        this.squareThreads = squareThreads;
        this.elements = elements;
        this.create = create;
    }

    /// <summary>The accelerator every buffer must live on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The options the layer was built with.</summary>
    public FastWeightRnnOptions Options { get; }

    private int H => Options.HiddenSize;
    private int I => Options.InputSize;
    private int S => Options.InnerSteps;

    /// <summary>Bytes of device memory a workspace for (B, T) takes with these options: exactly what <see cref="CreateWorkspace"/> allocates.</summary>
    /// <param name="batch">B ≥ 1.</param>
    /// <param name="time">T ≥ 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1.</exception>
    public long WorkspaceBytes(int batch, int time)
    {
        LayerSkeleton.CheckWorkspaceRequest(batch, time);
        return elements(batch, time, Options.HiddenSize, Options.InnerSteps) * sizeof(float);
    }

    /// <summary>Allocates a workspace for batches of up to <paramref name="maxBatch"/> sequences of up to <paramref name="maxTime"/> steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1.</exception>
    /// <exception cref="ObjectDisposedException">The layer is disposed.</exception>
    public TWorkspace CreateWorkspace(int maxBatch, int maxTime)
    {
        ThrowIfDisposed();
        LayerSkeleton.CheckWorkspaceRequest(maxBatch, maxTime);
        return create(Accelerator, maxBatch, maxTime, Options.HiddenSize, Options.InnerSteps);
    }

    /// <summary>
    /// Runs the layer over <paramref name="time"/> steps of <paramref name="batch"/> sequences and stores in
    /// <paramref name="workspace"/> what <see cref="Backward"/> needs (what each form stores: its class remarks).
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/> the kernels are queued on.</param>
    /// <param name="workspace">From <see cref="CreateWorkspace"/>, with capacity ≥ (batch, time).</param>
    /// <param name="y">Out [B,T,H]: h after every step. Overwritten.</param>
    /// <param name="hT">Out [B,H]: h after the last step. May be the same view as <paramref name="h0"/>.</param>
    /// <param name="aT">Out [B,H,H]: A after the last step. May be the same view as <paramref name="a0"/>.</param>
    /// <param name="x">In [B,T,I].</param>
    /// <param name="h0">In [B,H], or an empty view for zeros.</param>
    /// <param name="a0">In [B,H,H], or an empty view for zeros.</param>
    /// <param name="parameters">W, C, b, g, β.</param>
    /// <param name="batch">B ≥ 1.</param>
    /// <param name="time">T ≥ 1.</param>
    /// <exception cref="ArgumentException">A view has the wrong length, is missing, or lives on another accelerator. The message names the argument.</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time &lt; 1, or larger than the workspace.</exception>
    /// <exception cref="ObjectDisposedException">The layer, workspace, stream or a buffer is disposed.</exception>
    public void Forward(AcceleratorStream stream, TWorkspace workspace,
        ArrayView<float> y, ArrayView<float> hT, ArrayView<float> aT,
        ArrayView<float> x, ArrayView<float> h0, ArrayView<float> a0,
        FastWeightRnnParameters parameters, int batch, int time)
    {
        ThrowIfDisposed();
        var (hasH0, hasA0) = CheckForward(stream, workspace, y, hT, aT, x, h0, a0, parameters, batch, time, squareThreads);
        ForwardUnchecked(stream, workspace, y, hT, aT, x, h0, a0, parameters, batch, time, hasH0, hasA0);
    }

    /// <summary>
    /// <see cref="Forward"/> after its checks: the caller (<see cref="Forward"/>, or <see cref="FastWeightRnnLayer"/>, which
    /// checks the same arguments against the same sizes at its own boundary) has validated every argument and found which
    /// optional inputs are present. Both forms project u = C x + b first and record the forward on the workspace last.
    /// </summary>
    internal void ForwardUnchecked(AcceleratorStream stream, TWorkspace workspace,
        ArrayView<float> y, ArrayView<float> hT, ArrayView<float> aT,
        ArrayView<float> x, ArrayView<float> h0, ArrayView<float> a0,
        FastWeightRnnParameters parameters, int batch, int time, bool hasH0, bool hasA0)
    {
        Project(stream, workspace.Tape.Projection, x, parameters, batch, time);
        Recurrence(stream, workspace, y, hT, aT, h0, a0, parameters, batch, time, hasH0, hasA0);
        workspace.RecordForward(this, batch, time);
    }

    /// <summary>The form's recurrence over the projected inputs in <paramref name="ws"/> (<c>Tape.Projection</c>).</summary>
    private protected abstract void Recurrence(AcceleratorStream stream, TWorkspace ws,
        ArrayView<float> y, ArrayView<float> hT, ArrayView<float> aT, ArrayView<float> h0, ArrayView<float> a0,
        FastWeightRnnParameters parameters, int batch, int time, bool hasH0, bool hasA0);

    /// <summary>
    /// Gradients of a scalar loss L given dL/dy, dL/dhT and dL/dAT for the last <see cref="Forward"/> on
    /// <paramref name="workspace"/> (how each form runs it: its class remarks).
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="workspace">The workspace the matching forward used.</param>
    /// <param name="dx">Out [B,T,I], or empty if not wanted. Overwritten.</param>
    /// <param name="dh0">Out [B,H], or empty. Overwritten.</param>
    /// <param name="dA0">Out [B,H,H], or empty. Overwritten.</param>
    /// <param name="gradients">Out: dW, dC, db, dg, dβ. Overwritten.</param>
    /// <param name="dy">In [B,T,H].</param>
    /// <param name="dhT">In [B,H], or empty for zeros.</param>
    /// <param name="dAT">In [B,H,H], or empty for zeros.</param>
    /// <param name="x">In [B,T,I]: the forward's input.</param>
    /// <param name="parameters">The forward's parameters.</param>
    /// <param name="batch">B, as in the forward.</param>
    /// <param name="time">T, as in the forward.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere. The message names the argument.</exception>
    /// <exception cref="InvalidOperationException">No forward of this (batch, time) ran with this workspace.</exception>
    /// <exception cref="ObjectDisposedException">The layer, workspace, stream or a buffer is disposed.</exception>
    public void Backward(AcceleratorStream stream, TWorkspace workspace,
        ArrayView<float> dx, ArrayView<float> dh0, ArrayView<float> dA0, FastWeightRnnParameterGradients gradients,
        ArrayView<float> dy, ArrayView<float> dhT, ArrayView<float> dAT,
        ArrayView<float> x, FastWeightRnnParameters parameters, int batch, int time)
    {
        ThrowIfDisposed();
        var has = CheckBackward(this, stream, workspace, dx, dh0, dA0, gradients, dy, dhT, dAT, x, parameters, batch, time, squareThreads);
        BackwardUnchecked(stream, workspace, dx, dh0, dA0, gradients, dy, dhT, dAT, x, parameters, batch, time, has);
    }

    /// <summary>
    /// <see cref="Backward"/> after its checks (see <see cref="ForwardUnchecked"/>): <paramref name="has"/> says which
    /// optional views are present.
    /// </summary>
    internal abstract void BackwardUnchecked(AcceleratorStream stream, TWorkspace workspace,
        ArrayView<float> dx, ArrayView<float> dh0, ArrayView<float> dA0, FastWeightRnnParameterGradients gradients,
        ArrayView<float> dy, ArrayView<float> dhT, ArrayView<float> dAT,
        ArrayView<float> x, FastWeightRnnParameters parameters, int batch, int time, FastWeightRnnBackwardViews has);

    /// <summary>Elements per thread of an element-wise kernel over <paramref name="total"/> elements (<see cref="ElementBlocks"/>).</summary>
    private protected int Block(long total) => ElementBlocks.For(Accelerator, total);

    private protected static Index1D Threads(long total, int block) => (Index1D)ElementBlocks.Threads(total, block);

    // ------------------------------------------------------------------ checks (docs/design.md §7)

    /// <summary>
    /// Sizes of a call. <paramref name="squareThreads"/>: a kernel launches one thread per (b, i, j)
    /// on a GPU, so B·H² must fit a 32-bit thread index as well.
    /// </summary>
    private void CheckSizes(int batch, int time, bool squareThreads)
    {
        ViewChecks.Positive(batch, nameof(batch));
        ViewChecks.Positive(time, nameof(time));
        if ((long)batch * time * Math.Max(H, I) > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, "B·T·max(H, I) must be below 2³¹.");
        if (squareThreads && (long)batch * H * H > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, "B·H² must be below 2³¹.");
    }

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
    private (bool HasH0, bool HasA0) CheckForward(AcceleratorStream stream, TapeWorkspace workspace,
        ArrayView<float> y, ArrayView<float> hT, ArrayView<float> aT,
        ArrayView<float> x, ArrayView<float> h0, ArrayView<float> a0,
        FastWeightRnnParameters parameters, int batch, int time, bool squareThreads)
    {
        CheckCall(stream, workspace, batch, time, squareThreads);
        return FastWeightRnnViews.CheckForward(Accelerator, Options, y, hT, aT, x, h0, a0, parameters, batch, time);
    }

    /// <summary>Every check of a backward, in the fused layer's order.</summary>
    private FastWeightRnnBackwardViews CheckBackward(object owner, AcceleratorStream stream, TapeWorkspace workspace,
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
    private void Project(AcceleratorStream stream, ArrayView<float> output, ArrayView<float> x, FastWeightRnnParameters p, int batch, int time) =>
        dense.Project(stream, batch * time, H, I, output, x, p.C, p.B);

    /// <summary>
    /// dW = Σ dz h_{t−1}ᵀ, dC = Σ dz x_tᵀ, db, dg, dβ and (when wanted) dx = Cᵀ dz, from dz [B,T,H],
    /// the outer states [B,T+1,H] and the per-sequence layer-norm partials [B,2,H] (docs/design.md §3.4).
    /// </summary>
    private protected void FormParameterGradients(AcceleratorStream stream, FastWeightRnnParameterGradients gradients, ArrayView<float> dx, bool hasDx,
        ArrayView<float> dz, ArrayView<float> states, ArrayView<float> layerNormGrad, ArrayView<float> x, ArrayView<float> c,
        int batch, int time)
    {
        dense.ProjectionGradients(stream, batch, time, H, I, gradients.DW, gradients.DC, gradients.DB, gradients.DLnGain,
            gradients.DLnBias, hasDx, dx, dz, states, layerNormGrad, x, c);
    }

    private void ThrowIfDisposed()
    {
        if (disposed) throw new ObjectDisposedException(GetType().Name);
        LayerSkeleton.ThrowIfAcceleratorDisposed(Accelerator);
    }

    /// <summary>Marks the layer disposed. It owns no device memory (kernels are owned by the accelerator). Safe to call twice.</summary>
    public void Dispose() => disposed = true;
}
