using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.Lstm;

/// <summary>
/// The layer-normalised LSTM of Ha, Dai, Le 2016 (the HyperLSTM paper's LN-LSTM with the hyper-network's
/// scalings fixed at 1) on one ILGPU accelerator: a fused forward (the input projection for all steps in one
/// launch, then the whole recurrence in one launch) and a hand-derived backward (docs/lstm.md).
/// </summary>
/// <remarks>
/// <para>Per sequence, with gates stacked i, f, g, o: a = W_h h_{t−1} + W_x x_t + b [4H]; per gate k,
/// n_k = γ_k ⊙ LN(a_k) + β_k; i, f, o = σ(n), g = tanh(n); c_t = f ⊙ c_{t−1} + i ⊙ g;
/// h_t = o ⊙ tanh(γ_c ⊙ LN(c_t) + β_c); y_t = h_t. Layout: row-major float32; x [B,T,I], h0/hT/c0/cT [B,H], y [B,T,H].</para>
/// <para>All views must live on <see cref="Accelerator"/>. Every argument is validated before any kernel is launched;
/// a rejected call leaves every buffer as it was. Calls are asynchronous on the given stream: nothing waits for the
/// device unless <see cref="RecurrentCellOptions.CheckFinite"/> is on. Kernels are compiled once, in the constructor.</para>
/// <para>The group schedule keeps a column-major copy of W_h (4H² floats) in the layer, refreshed at the start of every
/// <see cref="Forward"/> on that call's stream (docs/gpu.md §3): forward calls on one layer must not overlap on two
/// streams.</para>
/// </remarks>
public sealed class LstmLayer : IDisposable
{
    private readonly SweepKernels<LstmForwardSweepArgs, LstmReverseSweepArgs> sweeps;
    private readonly DenseLaunches dense;
    private readonly Action<AcceleratorStream, Index1D, NormParameterGradientArgs> cellNormGradient;
    private readonly LayerSkeleton skeleton;
    private readonly Action<AcceleratorStream, Index1D, MatrixTransposeArgs>? transpose;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? whColumns;   // [H,4H] group schedule: column-major W_h

    /// <summary>Builds the layer and compiles its kernels for <paramref name="accelerator"/>.</summary>
    /// <param name="accelerator">Where every buffer and stream passed later must live.</param>
    /// <param name="options">Sizes and settings; validated here.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the exception names it), or H is too
    /// large for the group schedule's shared memory.</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public LstmLayer(Accelerator accelerator, LstmOptions options)
    {
        LayerSkeleton.CheckConstruction(accelerator, options);
        options.Validate();
        Accelerator = accelerator;
        Options = options;
        Schedule = options.Schedule.ResolveFor(accelerator);

        int h = options.HiddenSize;
        sweeps = Schedule == SweepSchedule.Group
            ? new(LstmForwardSweep.GroupEntry.Load(accelerator), LstmReverseSweep.GroupEntry.Load(accelerator))
            : new(LstmForwardSweep.ThreadEntry.Load(accelerator), LstmReverseSweep.ThreadEntry.Load(accelerator));
        GroupSize = sweeps.GroupSize(accelerator, h);
        // The group kernels keep only two H-vectors and the reduction partials on chip: no opt-in is ever needed.
        LayerSkeleton.CheckGroupSharedMemory(accelerator, sweeps.IsGroup,
            (long)LstmForwardSweep.GroupSharedFloats(h, GroupSize) * sizeof(float), $"HiddenSize {h}", plural: false);

        dense = new DenseLaunches(accelerator, InputProjection.Entry.Load(accelerator),
            ParameterGradients.OuterProductSumEntry.Load(accelerator), ParameterGradients.InputGradientEntry.Load(accelerator),
            ParameterGradients.VectorGradientEntry.Load(accelerator));
        cellNormGradient = NormParameterGradient.Entry.Load(accelerator);
        skeleton = new LayerSkeleton(accelerator, nameof(LstmLayer), FiniteCheck.Entry.Load(accelerator), FiniteSlots);
        if (Schedule == SweepSchedule.Group)
        {
            transpose = MatrixTranspose.Entry.Load(accelerator);
            whColumns = accelerator.Allocate1D<float>(4L * h * h);
        }
    }

    /// <summary>The accelerator every buffer must live on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The options the layer was built with.</summary>
    public LstmOptions Options { get; }

    /// <summary>The schedule in use (<see cref="SweepSchedule.Auto"/> resolved).</summary>
    public SweepSchedule Schedule { get; }

    /// <summary>Threads per group of the group schedule (a multiple of the warp size, at most what both compiled group sweeps allow: on CUDA their registers, elsewhere the device's maximum; above it a thread takes rows k, k + G, …).</summary>
    public int GroupSize { get; }

    /// <summary>Bytes of device memory a workspace for (B, T) takes with these options: exactly what <see cref="CreateWorkspace"/> allocates.</summary>
    /// <param name="batch">B ≥ 1.</param>
    /// <param name="time">T ≥ 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or too large.</exception>
    public long WorkspaceBytes(int batch, int time) => WorkspaceBytes(batch, time, Options.InputSize, Options.HiddenSize);

    /// <summary>
    /// Bytes of device memory one training call needs for (B, T, I, H): 4·(B·T·(9H + 5) + 2·B·(T+1)·H + 12·B·H)
    /// (docs/lstm.md §4). I does not enter (x and dx are the caller's buffers); it is a parameter so the signature
    /// names every size of the layer.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or too large.</exception>
    public static long WorkspaceBytes(int batch, int time, int input, int hidden)
    {
        CheckSizes(batch, time, input, hidden);
        return new LstmWorkspacePlan(batch, time, hidden).TotalBytes;
    }

    /// <summary>Allocates a workspace for batches of up to <paramref name="maxBatch"/> sequences of up to <paramref name="maxTime"/> steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or too large.</exception>
    /// <exception cref="ObjectDisposedException">The layer is disposed.</exception>
    public LstmWorkspace CreateWorkspace(int maxBatch, int maxTime)
    {
        skeleton.ThrowIfDisposed();
        LayerSkeleton.CheckWorkspaceRequest(maxBatch, maxTime);
        CheckSizes(maxBatch, maxTime, Options.InputSize, Options.HiddenSize);
        return new LstmWorkspace(Accelerator, new LstmWorkspacePlan(maxBatch, maxTime, Options.HiddenSize));
    }

    /// <summary>
    /// Runs the layer over <paramref name="time"/> steps of <paramref name="batch"/> sequences and stores in
    /// <paramref name="workspace"/> what <see cref="Backward"/> needs.
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/> the kernels are queued on.</param>
    /// <param name="workspace">From <see cref="CreateWorkspace"/>, with capacity ≥ (batch, time).</param>
    /// <param name="y">Out [B,T,H]: h after every step. Overwritten.</param>
    /// <param name="hT">Out [B,H]: h after the last step. Overwritten. May be the same view as <paramref name="h0"/>.</param>
    /// <param name="cT">Out [B,H]: c after the last step. Overwritten. May be the same view as <paramref name="c0"/>.
    /// Passing (hT, cT) as the next call's (h0, c0) continues the sequence exactly.</param>
    /// <param name="x">In [B,T,I].</param>
    /// <param name="h0">In [B,H], or an empty view for zeros.</param>
    /// <param name="c0">In [B,H], or an empty view for zeros.</param>
    /// <param name="parameters">W_h, W_x, b, γ, β, γ_c, β_c.</param>
    /// <param name="batch">B ≥ 1.</param>
    /// <param name="time">T ≥ 1.</param>
    /// <exception cref="ArgumentException">A view has the wrong length, is missing, or lives on another accelerator;
    /// or (with <see cref="RecurrentCellOptions.CheckFinite"/>) an input holds NaN/Inf. The message names the argument.</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time &lt; 1, or larger than the workspace.</exception>
    /// <exception cref="ObjectDisposedException">The layer, workspace, stream or a buffer is disposed.</exception>
    public void Forward(AcceleratorStream stream, LstmWorkspace workspace,
        ArrayView<float> y, ArrayView<float> hT, ArrayView<float> cT,
        ArrayView<float> x, ArrayView<float> h0, ArrayView<float> c0,
        LstmParameters parameters, int batch, int time)
    {
        skeleton.ThrowIfDisposed();
        CheckCall(stream, workspace, batch, time);
        int H = Options.HiddenSize, I = Options.InputSize;
        long bh = (long)batch * H, bth = (long)batch * time * H;
        ViewChecks.Required(y, nameof(y), bth, $"[B={batch},T={time},H={H}]", Accelerator);
        ViewChecks.Required(hT, nameof(hT), bh, $"[B={batch},H={H}]", Accelerator);
        ViewChecks.Required(cT, nameof(cT), bh, $"[B={batch},H={H}]", Accelerator);
        ViewChecks.Required(x, nameof(x), (long)batch * time * I, $"[B={batch},T={time},I={I}]", Accelerator);
        bool hasH0 = ViewChecks.Optional(h0, nameof(h0), bh, $"[B={batch},H={H}]", Accelerator);
        bool hasC0 = ViewChecks.Optional(c0, nameof(c0), bh, $"[B={batch},H={H}]", Accelerator);
        CheckParameters(parameters);
        if (Options.CheckFinite)
            skeleton.ThrowIfNotFinite(stream,
                (x, nameof(x)), (h0, nameof(h0)), (c0, nameof(c0)), (parameters.WH, "WH"), (parameters.WX, "WX"),
                (parameters.B, "B"), (parameters.LnGain, "LnGain"), (parameters.LnBias, "LnBias"),
                (parameters.CellLnGain, "CellLnGain"), (parameters.CellLnBias, "CellLnBias"));

        dense.Project(stream, batch * time, 4 * H, I, workspace.Projection, x, parameters.WX, parameters.B);

        var args = SweepArguments(workspace, parameters, batch, time) with
        {
            HasH0 = hasH0 ? 1 : 0, HasC0 = hasC0 ? 1 : 0,
            H0 = hasH0 ? h0 : workspace.Vectors, C0 = hasC0 ? c0 : workspace.Vectors,
            Y = y, HT = hT, CT = cT,
        };
        if (!sweeps.IsGroup)
            sweeps.Forward(stream, batch, GroupConfig(batch), args);
        else
        {
            // The group forward reads W_h column-major (coalesced across a warp, docs/gpu.md §3): copy it first.
            MatrixTranspose.Launch(transpose!, stream, parameters.WH, whColumns!.View, 4 * H, H);
            sweeps.Forward(stream, batch, GroupConfig(batch), args with { WHColumns = whColumns.View });
        }
        workspace.RecordForward(this, batch, time);
    }

    /// <summary>
    /// Gradients of a scalar loss L given dL/dy, dL/dhT and dL/dcT, for the inputs and parameters of the last
    /// <see cref="Forward"/> run with <paramref name="workspace"/>. x and the parameters must be the ones that forward
    /// saw (they are read again, not copied).
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="workspace">The workspace the matching forward used.</param>
    /// <param name="dx">Out [B,T,I], or empty if not wanted. Overwritten.</param>
    /// <param name="dh0">Out [B,H], or empty. Overwritten.</param>
    /// <param name="dc0">Out [B,H], or empty. Overwritten.</param>
    /// <param name="gradients">Out: dW_h, dW_x, db, dγ, dβ, dγ_c, dβ_c. Overwritten (summed over the batch in a fixed
    /// order: bit-identical run to run).</param>
    /// <param name="dy">In [B,T,H].</param>
    /// <param name="dhT">In [B,H], or empty for zeros.</param>
    /// <param name="dcT">In [B,H], or empty for zeros.</param>
    /// <param name="x">In [B,T,I]: the forward's input.</param>
    /// <param name="parameters">The forward's parameters.</param>
    /// <param name="batch">B, as in the forward.</param>
    /// <param name="time">T, as in the forward.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere; or a NaN/Inf
    /// (with <see cref="RecurrentCellOptions.CheckFinite"/>). The message names the argument.</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time &lt; 1, or larger than the workspace.</exception>
    /// <exception cref="InvalidOperationException">No forward of this (batch, time) by this layer ran with this workspace.</exception>
    /// <exception cref="ObjectDisposedException">The layer, workspace, stream or a buffer is disposed.</exception>
    public void Backward(AcceleratorStream stream, LstmWorkspace workspace,
        ArrayView<float> dx, ArrayView<float> dh0, ArrayView<float> dc0, LstmParameterGradients gradients,
        ArrayView<float> dy, ArrayView<float> dhT, ArrayView<float> dcT,
        ArrayView<float> x, LstmParameters parameters, int batch, int time)
    {
        skeleton.ThrowIfDisposed();
        CheckCall(stream, workspace, batch, time);
        workspace.RequireForward(this, batch, time);
        int H = Options.HiddenSize, I = Options.InputSize, G4 = 4 * H;
        long bh = (long)batch * H, bth = (long)batch * time * H, bti = (long)batch * time * I;
        bool hasDx = ViewChecks.Optional(dx, nameof(dx), bti, $"[B={batch},T={time},I={I}]", Accelerator);
        bool hasDh0 = ViewChecks.Optional(dh0, nameof(dh0), bh, $"[B={batch},H={H}]", Accelerator);
        bool hasDc0 = ViewChecks.Optional(dc0, nameof(dc0), bh, $"[B={batch},H={H}]", Accelerator);
        CheckWeights("D", gradients.DWH, gradients.DWX, gradients.DB, gradients.DLnGain, gradients.DLnBias,
            gradients.DCellLnGain, gradients.DCellLnBias);
        ViewChecks.Required(dy, nameof(dy), bth, $"[B={batch},T={time},H={H}]", Accelerator);
        bool hasDhT = ViewChecks.Optional(dhT, nameof(dhT), bh, $"[B={batch},H={H}]", Accelerator);
        bool hasDcT = ViewChecks.Optional(dcT, nameof(dcT), bh, $"[B={batch},H={H}]", Accelerator);
        ViewChecks.Required(x, nameof(x), bti, $"[B={batch},T={time},I={I}]", Accelerator);
        CheckParameters(parameters);
        if (Options.CheckFinite)
            skeleton.ThrowIfNotFinite(stream, (dy, nameof(dy)), (dhT, nameof(dhT)), (dcT, nameof(dcT)));

        var args = new LstmReverseSweepArgs
        {
            Forward = SweepArguments(workspace, parameters, batch, time),
            HasDhT = hasDhT ? 1 : 0, HasDcT = hasDcT ? 1 : 0, HasDh0 = hasDh0 ? 1 : 0, HasDc0 = hasDc0 ? 1 : 0,
            Dy = dy, DhT = hasDhT ? dhT : workspace.Vectors, DcT = hasDcT ? dcT : workspace.Vectors,
            Da = workspace.Projection,
            LayerNormGrad = workspace.LayerNormGrad, CellLayerNormGrad = workspace.CellLayerNormGrad,
            DH0 = hasDh0 ? dh0 : workspace.Vectors, DC0 = hasDc0 ? dc0 : workspace.Vectors,
        };
        sweeps.Reverse(stream, batch, GroupConfig(batch), args);

        // Weight gradients from the stored da, each element summed over (b, t) in a fixed order.
        int rows = batch * time;
        dense.WeightGradients(stream, batch, time, G4, H, I, gradients.DWH, workspace.Projection, workspace.States,
            gradients.DWX, workspace.Projection, x);
        dense.VectorGradients(stream, batch, rows, G4, gradients.DB, gradients.DLnGain, gradients.DLnBias,
            workspace.Projection, workspace.LayerNormGrad);
        NormParameterGradient.Launch(cellNormGradient, stream, batch, H, gradients.DCellLnGain, gradients.DCellLnBias,
            workspace.CellLayerNormGrad);
        dense.InputGradient(stream, hasDx, rows, G4, I, dx, workspace.Projection, parameters.WX);
    }

    private const int FiniteSlots = 16;

    /// <summary>
    /// The parameter set both sweeps read (the reverse's extends it): sizes, ε, the weights, norms and the tape in
    /// <paramref name="workspace"/>; the forward adds its initial state and outputs.
    /// </summary>
    private LstmForwardSweepArgs SweepArguments(LstmWorkspace workspace, LstmParameters parameters, int batch, int time) => new()
    {
        Batch = batch, Time = time, Hidden = Options.HiddenSize, LnEps = (float)Options.LayerNormEpsilon,
        Projection = workspace.Projection, WH = parameters.WH, LnGain = parameters.LnGain, LnBias = parameters.LnBias,
        CellLnGain = parameters.CellLnGain, CellLnBias = parameters.CellLnBias,
        States = workspace.States, CellStates = workspace.CellStates,
        Normalized = workspace.Normalized, InverseStd = workspace.InverseStd,
        CellNormalized = workspace.CellNormalized, CellInverseStd = workspace.CellInverseStd,
        Vectors = workspace.Vectors,
    };

    private KernelConfig GroupConfig(int batch) =>
        SweepKernels<LstmForwardSweepArgs, LstmReverseSweepArgs>.GroupConfig(batch, GroupSize, LstmForwardSweep.GroupSharedFloats(Options.HiddenSize, GroupSize));

    private static void CheckSizes(int batch, int time, int input, int hidden)
    {
        LayerSkeleton.CheckSizes(batch, time, input, hidden);
        // Kernels index rows of [B·T·max(4H, I)] with 32-bit thread indices.
        if ((long)batch * time * Math.Max(4L * hidden, input) > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, "B·T·max(4H, I) must be below 2³¹.");
    }

    private void CheckCall(AcceleratorStream stream, LstmWorkspace workspace, int batch, int time) =>
        skeleton.CheckCall(stream, workspace, w => w.Plan.Hidden == Options.HiddenSize, "another hidden size", batch, time);

    private void CheckParameters(LstmParameters p) =>
        CheckWeights("", p.WH, p.WX, p.B, p.LnGain, p.LnBias, p.CellLnGain, p.CellLnBias);

    /// <summary>The seven weight tensors or their gradients (names prefixed with <paramref name="prefix"/>), in the record's order.</summary>
    private void CheckWeights(string prefix, ArrayView<float> wh, ArrayView<float> wx, ArrayView<float> b,
        ArrayView<float> lnGain, ArrayView<float> lnBias, ArrayView<float> cellLnGain, ArrayView<float> cellLnBias)
    {
        int H = Options.HiddenSize, I = Options.InputSize, G4 = 4 * H;
        ViewChecks.Required(wh, prefix + "WH", (long)G4 * H, $"[4H={G4},H={H}]", Accelerator);
        ViewChecks.Required(wx, prefix + "WX", (long)G4 * I, $"[4H={G4},I={I}]", Accelerator);
        ViewChecks.Required(b, prefix + "B", G4, $"[4H={G4}]", Accelerator);
        ViewChecks.Required(lnGain, prefix + "LnGain", G4, $"[4H={G4}]", Accelerator);
        ViewChecks.Required(lnBias, prefix + "LnBias", G4, $"[4H={G4}]", Accelerator);
        ViewChecks.Required(cellLnGain, prefix + "CellLnGain", H, $"[H={H}]", Accelerator);
        ViewChecks.Required(cellLnBias, prefix + "CellLnBias", H, $"[H={H}]", Accelerator);
    }

    /// <summary>Frees the layer's own device memory (a few bytes of flags). Kernels are owned by the accelerator. Safe to call twice.</summary>
    public void Dispose()
    {
        if (skeleton.Close())
            whColumns?.Dispose();
    }
}
