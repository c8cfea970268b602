using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Lstm;
using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.Gru;

/// <summary>
/// The layer-normalised GRU (GRU-LN) of the TensorFlow reimplementations of Ba et al. 2016 (layer normalisation applied
/// to the input and to the recurrent projection of the gates and of the candidate) on one ILGPU accelerator: a fused
/// forward (the input projection for all steps in one launch, then the whole recurrence in one launch) and a
/// hand-derived backward (docs/gru.md).
/// </summary>
/// <remarks>
/// <para>Per sequence, with row blocks r, u, n: p = W_x x_t, q = W_h h_{t−1} [3H];
/// [r; u] = σ(γ_x LN(p_ru) + β_x + γ_h LN(q_ru) + β_h) (each norm over the 2H gate rows together);
/// n = tanh(γ_x LN(p_n) + β_x + r ⊙ (γ_h LN(q_n) + β_h)) (each norm over H rows); h_t = u ⊙ h_{t−1} + (1 − u) ⊙ n;
/// y_t = h_t. Layout: row-major float32; x [B,T,I], h0/hT [B,H], y [B,T,H].</para>
/// <para>All views must live on <see cref="Accelerator"/>. Every argument is validated before any kernel is launched;
/// a rejected call leaves every buffer as it was. Calls are asynchronous on the given stream: nothing waits for the
/// device unless <see cref="RecurrentCellOptions.CheckFinite"/> is on. Kernels are compiled once per accelerator.</para>
/// <para>The group schedule keeps a column-major copy of W_h (3H² floats) in the layer, refreshed at the start of every
/// <see cref="Forward"/> on that call's stream (docs/gpu.md §3): forward calls on one layer must not overlap on two
/// streams.</para>
/// </remarks>
public sealed class GruLayer : IDisposable
{
    private readonly SweepKernels<GruForwardSweepArgs, GruReverseSweepArgs> sweeps;
    private readonly DenseLaunches dense;
    private readonly Action<AcceleratorStream, Index1D, NormParameterGradientArgs> normGradient;
    private readonly LayerSkeleton skeleton;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> zeroBias;    // [3H] the input projection has no bias
    private readonly Action<AcceleratorStream, Index1D, MatrixTransposeArgs>? transpose;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? whColumns;   // [H,3H] group schedule: column-major W_h

    /// <summary>Builds the layer and compiles its kernels for <paramref name="accelerator"/>.</summary>
    /// <param name="accelerator">Where every buffer and stream passed later must live.</param>
    /// <param name="options">Sizes and settings; validated here.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the exception names it), or H is too
    /// large for the group schedule's shared memory.</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public GruLayer(Accelerator accelerator, GruOptions options)
    {
        LayerSkeleton.CheckConstruction(accelerator, options);
        options.Validate();
        Accelerator = accelerator;
        Options = options;
        Schedule = options.Schedule.ResolveFor(accelerator);

        int h = options.HiddenSize;
        sweeps = Schedule == SweepSchedule.Group
            ? new(GruForwardSweep.GroupEntry.Load(accelerator), GruReverseSweep.GroupEntry.Load(accelerator))
            : new(GruForwardSweep.ThreadEntry.Load(accelerator), GruReverseSweep.ThreadEntry.Load(accelerator));
        GroupSize = sweeps.GroupSize(accelerator, h);
        // The group kernels keep only two H-vectors and the reduction partials on chip: no opt-in is ever needed.
        LayerSkeleton.CheckGroupSharedMemory(accelerator, sweeps.IsGroup,
            (long)GruForwardSweep.GroupSharedFloats(h, GroupSize) * sizeof(float), $"HiddenSize {h}", plural: false);

        dense = new DenseLaunches(accelerator, InputProjection.Entry.Load(accelerator),
            ParameterGradients.OuterProductSumEntry.Load(accelerator), ParameterGradients.InputGradientEntry.Load(accelerator), vectorGradient: null);
        normGradient = NormParameterGradient.Entry.Load(accelerator);
        skeleton = new LayerSkeleton(accelerator, nameof(GruLayer), FiniteCheck.Entry.Load(accelerator), FiniteSlots);
        zeroBias = accelerator.Allocate1D<float>(3L * h);
        zeroBias.MemSetToZero();
        accelerator.Synchronize();
        if (Schedule == SweepSchedule.Group)
        {
            transpose = MatrixTranspose.Entry.Load(accelerator);
            whColumns = accelerator.Allocate1D<float>(3L * h * h);
        }
    }

    /// <summary>The accelerator every buffer must live on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The options the layer was built with.</summary>
    public GruOptions Options { get; }

    /// <summary>The schedule in use (<see cref="SweepSchedule.Auto"/> resolved).</summary>
    public SweepSchedule Schedule { get; }

    /// <summary>Threads per group of the group schedule (a multiple of the warp size, at most what both compiled group sweeps allow: on CUDA their registers, elsewhere the device's maximum; above it a thread takes units k, k + G, …).</summary>
    public int GroupSize { get; }

    /// <summary>Bytes of device memory a workspace for (B, T) takes with these options: exactly what <see cref="CreateWorkspace"/> allocates.</summary>
    /// <param name="batch">B ≥ 1.</param>
    /// <param name="time">T ≥ 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or too large.</exception>
    public long WorkspaceBytes(int batch, int time) => WorkspaceBytes(batch, time, Options.InputSize, Options.HiddenSize);

    /// <summary>
    /// Bytes of device memory one training call needs for (B, T, I, H): 4·(B·T·(12H + 4) + B·(T+1)·H + 14·B·H)
    /// (docs/gru.md §4). I does not enter (x and dx are the caller's buffers); it is a parameter so the signature
    /// names every size of the layer.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or too large.</exception>
    public static long WorkspaceBytes(int batch, int time, int input, int hidden)
    {
        CheckSizes(batch, time, input, hidden);
        return new GruWorkspacePlan(batch, time, hidden).TotalBytes;
    }

    /// <summary>Allocates a workspace for batches of up to <paramref name="maxBatch"/> sequences of up to <paramref name="maxTime"/> steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or too large.</exception>
    /// <exception cref="ObjectDisposedException">The layer is disposed.</exception>
    public GruWorkspace CreateWorkspace(int maxBatch, int maxTime)
    {
        skeleton.ThrowIfDisposed();
        LayerSkeleton.CheckWorkspaceRequest(maxBatch, maxTime);
        CheckSizes(maxBatch, maxTime, Options.InputSize, Options.HiddenSize);
        return new GruWorkspace(Accelerator, new GruWorkspacePlan(maxBatch, maxTime, Options.HiddenSize));
    }

    /// <summary>
    /// Runs the layer over <paramref name="time"/> steps of <paramref name="batch"/> sequences and stores in
    /// <paramref name="workspace"/> what <see cref="Backward"/> needs.
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/> the kernels are queued on.</param>
    /// <param name="workspace">From <see cref="CreateWorkspace"/>, with capacity ≥ (batch, time).</param>
    /// <param name="y">Out [B,T,H]: h after every step. Overwritten.</param>
    /// <param name="hT">Out [B,H]: h after the last step. Overwritten. May be the same view as <paramref name="h0"/>;
    /// passing it as the next call's h0 continues the sequence exactly.</param>
    /// <param name="x">In [B,T,I].</param>
    /// <param name="h0">In [B,H], or an empty view for zeros.</param>
    /// <param name="parameters">W_h, W_x, γ_x, β_x, γ_h, β_h.</param>
    /// <param name="batch">B ≥ 1.</param>
    /// <param name="time">T ≥ 1.</param>
    /// <exception cref="ArgumentException">A view has the wrong length, is missing, or lives on another accelerator;
    /// or (with <see cref="RecurrentCellOptions.CheckFinite"/>) an input holds NaN/Inf. The message names the argument.</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time &lt; 1, or larger than the workspace.</exception>
    /// <exception cref="ObjectDisposedException">The layer, workspace, stream or a buffer is disposed.</exception>
    public void Forward(AcceleratorStream stream, GruWorkspace workspace,
        ArrayView<float> y, ArrayView<float> hT, ArrayView<float> x, ArrayView<float> h0,
        GruParameters parameters, int batch, int time)
    {
        skeleton.ThrowIfDisposed();
        CheckCall(stream, workspace, batch, time);
        int H = Options.HiddenSize, I = Options.InputSize;
        long bh = (long)batch * H, bth = (long)batch * time * H;
        ViewChecks.Required(y, nameof(y), bth, $"[B={batch},T={time},H={H}]", Accelerator);
        ViewChecks.Required(hT, nameof(hT), bh, $"[B={batch},H={H}]", Accelerator);
        ViewChecks.Required(x, nameof(x), (long)batch * time * I, $"[B={batch},T={time},I={I}]", Accelerator);
        bool hasH0 = ViewChecks.Optional(h0, nameof(h0), bh, $"[B={batch},H={H}]", Accelerator);
        CheckParameters(parameters);
        if (Options.CheckFinite)
            skeleton.ThrowIfNotFinite(stream,
                (x, nameof(x)), (h0, nameof(h0)), (parameters.WH, "WH"), (parameters.WX, "WX"),
                (parameters.InputLnGain, "InputLnGain"), (parameters.InputLnBias, "InputLnBias"),
                (parameters.RecurrentLnGain, "RecurrentLnGain"), (parameters.RecurrentLnBias, "RecurrentLnBias"));

        int G3 = 3 * H;
        dense.Project(stream, batch * time, G3, I, workspace.Projection, x, parameters.WX, zeroBias.View);

        var args = SweepArguments(workspace, parameters, batch, time) with
        {
            HasH0 = hasH0 ? 1 : 0, H0 = hasH0 ? h0 : workspace.Vectors, Y = y, HT = hT,
        };
        if (!sweeps.IsGroup)
            sweeps.Forward(stream, batch, GroupConfig(batch), args);
        else
        {
            // The group forward reads W_h column-major (coalesced across a warp, docs/gpu.md §3): copy it first.
            MatrixTranspose.Launch(transpose!, stream, parameters.WH, whColumns!.View, G3, H);
            sweeps.Forward(stream, batch, GroupConfig(batch), args with { WHColumns = whColumns.View });
        }
        workspace.RecordForward(this, batch, time);
    }

    /// <summary>
    /// Gradients of a scalar loss L given dL/dy and dL/dhT, for the inputs and parameters of the last
    /// <see cref="Forward"/> run with <paramref name="workspace"/>. x and the parameters must be the ones that forward
    /// saw (they are read again, not copied).
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="workspace">The workspace the matching forward used.</param>
    /// <param name="dx">Out [B,T,I], or empty if not wanted. Overwritten.</param>
    /// <param name="dh0">Out [B,H], or empty. Overwritten.</param>
    /// <param name="gradients">Out: dW_h, dW_x, dγ_x, dβ_x, dγ_h, dβ_h. Overwritten (summed over the batch in a fixed
    /// order: bit-identical run to run).</param>
    /// <param name="dy">In [B,T,H].</param>
    /// <param name="dhT">In [B,H], or empty for zeros.</param>
    /// <param name="x">In [B,T,I]: the forward's input.</param>
    /// <param name="parameters">The forward's parameters.</param>
    /// <param name="batch">B, as in the forward.</param>
    /// <param name="time">T, as in the forward.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere; or a NaN/Inf
    /// (with <see cref="RecurrentCellOptions.CheckFinite"/>). The message names the argument.</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time &lt; 1, or larger than the workspace.</exception>
    /// <exception cref="InvalidOperationException">No forward of this (batch, time) by this layer ran with this workspace.</exception>
    /// <exception cref="ObjectDisposedException">The layer, workspace, stream or a buffer is disposed.</exception>
    public void Backward(AcceleratorStream stream, GruWorkspace workspace,
        ArrayView<float> dx, ArrayView<float> dh0, GruParameterGradients gradients,
        ArrayView<float> dy, ArrayView<float> dhT, ArrayView<float> x, GruParameters parameters, int batch, int time)
    {
        skeleton.ThrowIfDisposed();
        CheckCall(stream, workspace, batch, time);
        workspace.RequireForward(this, batch, time);
        int H = Options.HiddenSize, I = Options.InputSize, G3 = 3 * H;
        long bh = (long)batch * H, bth = (long)batch * time * H, bti = (long)batch * time * I;
        bool hasDx = ViewChecks.Optional(dx, nameof(dx), bti, $"[B={batch},T={time},I={I}]", Accelerator);
        bool hasDh0 = ViewChecks.Optional(dh0, nameof(dh0), bh, $"[B={batch},H={H}]", Accelerator);
        CheckWeights("D", gradients.DWH, gradients.DWX, gradients.DInputLnGain, gradients.DInputLnBias,
            gradients.DRecurrentLnGain, gradients.DRecurrentLnBias);
        ViewChecks.Required(dy, nameof(dy), bth, $"[B={batch},T={time},H={H}]", Accelerator);
        bool hasDhT = ViewChecks.Optional(dhT, nameof(dhT), bh, $"[B={batch},H={H}]", Accelerator);
        ViewChecks.Required(x, nameof(x), bti, $"[B={batch},T={time},I={I}]", Accelerator);
        CheckParameters(parameters);
        if (Options.CheckFinite)
            skeleton.ThrowIfNotFinite(stream, (dy, nameof(dy)), (dhT, nameof(dhT)));

        var args = new GruReverseSweepArgs
        {
            Forward = SweepArguments(workspace, parameters, batch, time),
            HasDhT = hasDhT ? 1 : 0, HasDh0 = hasDh0 ? 1 : 0,
            Dy = dy, DhT = hasDhT ? dhT : workspace.Vectors,
            Dp = workspace.Projection, Dq = workspace.RecurrentGrad,
            InputLayerNormGrad = workspace.InputLayerNormGrad, RecurrentLayerNormGrad = workspace.RecurrentLayerNormGrad,
            DH0 = hasDh0 ? dh0 : workspace.Vectors,
        };
        sweeps.Reverse(stream, batch, GroupConfig(batch), args);

        // Weight gradients from the stored dq, dp, each element summed over (b, t) in a fixed order.
        dense.WeightGradients(stream, batch, time, G3, H, I, gradients.DWH, workspace.RecurrentGrad, workspace.States,
            gradients.DWX, workspace.Projection, x);
        NormParameterGradient.Launch(normGradient, stream, batch, G3, gradients.DInputLnGain, gradients.DInputLnBias,
            workspace.InputLayerNormGrad);
        NormParameterGradient.Launch(normGradient, stream, batch, G3, gradients.DRecurrentLnGain, gradients.DRecurrentLnBias,
            workspace.RecurrentLayerNormGrad);
        dense.InputGradient(stream, hasDx, batch * time, G3, I, dx, workspace.Projection, parameters.WX);
    }

    private const int FiniteSlots = 16;

    /// <summary>
    /// The parameter set both sweeps read (the reverse's extends it): sizes, ε, the weights, norms and the tape in
    /// <paramref name="workspace"/>; the forward adds its initial state and outputs.
    /// </summary>
    private GruForwardSweepArgs SweepArguments(GruWorkspace workspace, GruParameters parameters, int batch, int time) => new()
    {
        Batch = batch, Time = time, Hidden = Options.HiddenSize, LnEps = (float)Options.LayerNormEpsilon,
        Projection = workspace.Projection, WH = parameters.WH,
        InputLnGain = parameters.InputLnGain, InputLnBias = parameters.InputLnBias,
        RecurrentLnGain = parameters.RecurrentLnGain, RecurrentLnBias = parameters.RecurrentLnBias,
        States = workspace.States, InputNormalized = workspace.InputNormalized,
        RecurrentNormalized = workspace.RecurrentNormalized, InverseStd = workspace.InverseStd,
        Vectors = workspace.Vectors,
    };

    private KernelConfig GroupConfig(int batch) =>
        SweepKernels<GruForwardSweepArgs, GruReverseSweepArgs>.GroupConfig(batch, GroupSize, GruForwardSweep.GroupSharedFloats(Options.HiddenSize, GroupSize));

    private static void CheckSizes(int batch, int time, int input, int hidden)
    {
        LayerSkeleton.CheckSizes(batch, time, input, hidden);
        // Kernels index rows of [B·T·max(3H, I)] with 32-bit thread indices.
        if ((long)batch * time * Math.Max(3L * hidden, input) > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, "B·T·max(3H, I) must be below 2³¹.");
    }

    private void CheckCall(AcceleratorStream stream, GruWorkspace workspace, int batch, int time) =>
        skeleton.CheckCall(stream, workspace, w => w.Plan.Hidden == Options.HiddenSize, "another hidden size", batch, time);

    private void CheckParameters(GruParameters p) =>
        CheckWeights("", p.WH, p.WX, p.InputLnGain, p.InputLnBias, p.RecurrentLnGain, p.RecurrentLnBias);

    /// <summary>The six weight tensors or their gradients (names prefixed with <paramref name="prefix"/>), in the record's order.</summary>
    private void CheckWeights(string prefix, ArrayView<float> wh, ArrayView<float> wx, ArrayView<float> inputLnGain,
        ArrayView<float> inputLnBias, ArrayView<float> recurrentLnGain, ArrayView<float> recurrentLnBias)
    {
        int H = Options.HiddenSize, I = Options.InputSize, G3 = 3 * H;
        ViewChecks.Required(wh, prefix + "WH", (long)G3 * H, $"[3H={G3},H={H}]", Accelerator);
        ViewChecks.Required(wx, prefix + "WX", (long)G3 * I, $"[3H={G3},I={I}]", Accelerator);
        ViewChecks.Required(inputLnGain, prefix + "InputLnGain", G3, $"[3H={G3}]", Accelerator);
        ViewChecks.Required(inputLnBias, prefix + "InputLnBias", G3, $"[3H={G3}]", Accelerator);
        ViewChecks.Required(recurrentLnGain, prefix + "RecurrentLnGain", G3, $"[3H={G3}]", Accelerator);
        ViewChecks.Required(recurrentLnBias, prefix + "RecurrentLnBias", G3, $"[3H={G3}]", Accelerator);
    }

    /// <summary>Frees the layer's own device memory (flags, a zero bias of 3H floats and, on the group schedule, the copy of W_h). Kernels are owned by the accelerator. Safe to call twice.</summary>
    public void Dispose()
    {
        if (!skeleton.Close()) return;
        zeroBias.Dispose();
        whColumns?.Dispose();
    }
}
