using FastWeights.Kernels.GatedCells;

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
public sealed class LstmLayer : GatedCellLayer<LstmOptions, LstmWorkspace>
{
    internal const int Gates = 4;

    private readonly GatedCellKernels<LstmForwardSweepArgs, LstmReverseSweepArgs> kernels;
    private readonly Action<AcceleratorStream, Index1D, NormParameterGradientArgs> cellNormGradient;

    /// <summary>Builds the layer and compiles its kernels for <paramref name="accelerator"/>.</summary>
    /// <param name="accelerator">Where every buffer and stream passed later must live.</param>
    /// <param name="options">Sizes and settings; validated here.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the exception names it), or H is too
    /// large for the group schedule's shared memory.</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public LstmLayer(Accelerator accelerator, LstmOptions options)
        : this(options, new GatedCellKernels<LstmForwardSweepArgs, LstmReverseSweepArgs>(accelerator, options, nameof(LstmLayer), Gates,
            LstmForwardSweep.ThreadEntry, LstmReverseSweep.ThreadEntry, LstmForwardSweep.GroupEntry, LstmReverseSweep.GroupEntry,
            LstmForwardSweep.GroupSharedFloats, inputBias: true, vectorGradients: true))
    {
    }

    private LstmLayer(LstmOptions options, GatedCellKernels<LstmForwardSweepArgs, LstmReverseSweepArgs> kernels)
        : base(options, kernels)
    {
        this.kernels = kernels;
        cellNormGradient = NormParameterGradient.Entry.Load(kernels.Accelerator);
    }

    /// <summary>
    /// Bytes of device memory one training call needs for (B, T, I, H): 4·(B·T·(9H + 5) + 2·B·(T+1)·H + 12·B·H)
    /// (docs/lstm.md §4). I does not enter (x and dx are the caller's buffers); it is a parameter so the signature
    /// names every size of the layer.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or too large.</exception>
    public static long WorkspaceBytes(int batch, int time, int input, int hidden)
    {
        CheckSizes(Gates, batch, time, input, hidden);
        return new LstmWorkspacePlan(batch, time, hidden).TotalBytes;
    }

    private protected override long PlanBytes(int batch, int time, int input, int hidden) => WorkspaceBytes(batch, time, input, hidden);

    private protected override LstmWorkspace NewWorkspace(int maxBatch, int maxTime) =>
        new(Accelerator, new LstmWorkspacePlan(maxBatch, maxTime, Options.HiddenSize));

    /// <summary>
    /// Runs the layer over <paramref name="time"/> steps of <paramref name="batch"/> sequences and stores in
    /// <paramref name="workspace"/> what <see cref="Backward"/> needs.
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/> the kernels are queued on.</param>
    /// <param name="workspace">From <see cref="GatedCellLayer{TOptions, TWorkspace}.CreateWorkspace"/>, with capacity ≥ (batch, time).</param>
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
        => kernels.Forward(this, stream, workspace, batch, time, y, [(hT, nameof(hT)), (cT, nameof(cT))], x,
            [(h0, nameof(h0)), (c0, nameof(c0))], Weights(parameters), parameters.B,
            has => SweepArguments(workspace, parameters, batch, time) with
            {
                HasH0 = has[0] ? 1 : 0, HasC0 = has[1] ? 1 : 0,
                H0 = has[0] ? h0 : workspace.Shared.Vectors, C0 = has[1] ? c0 : workspace.Shared.Vectors,
                Y = y, HT = hT, CT = cT,
            },
            (args, columns) => args with { WHColumns = columns });

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
        => kernels.Backward(this, stream, workspace, batch, time, dx, [(dh0, nameof(dh0)), (dc0, nameof(dc0))], Gradients(gradients),
            dy, [(dhT, nameof(dhT)), (dcT, nameof(dcT))], x, Weights(parameters),
            (has0, hasT) => new LstmReverseSweepArgs
            {
                Forward = SweepArguments(workspace, parameters, batch, time),
                HasDhT = hasT[0] ? 1 : 0, HasDcT = hasT[1] ? 1 : 0, HasDh0 = has0[0] ? 1 : 0, HasDc0 = has0[1] ? 1 : 0,
                Dy = dy, DhT = hasT[0] ? dhT : workspace.Shared.Vectors, DcT = hasT[1] ? dcT : workspace.Shared.Vectors,
                Da = workspace.Shared.Projection,
                LayerNormGrad = workspace.Shared.LayerNormGrad, CellLayerNormGrad = workspace.Buffers.CellLayerNormGrad,
                DH0 = has0[0] ? dh0 : workspace.Shared.Vectors, DC0 = has0[1] ? dc0 : workspace.Shared.Vectors,
            },
            () => ParameterGradients(stream, workspace, gradients, x, batch, time));

    /// <summary>
    /// The weight gradients from the stored da (each element summed over (b, t) in a fixed order): dW_h, dW_x, then db,
    /// dγ, dβ, then the cell norm's dγ_c, dβ_c from their per-sequence partials.
    /// </summary>
    private void ParameterGradients(AcceleratorStream stream, LstmWorkspace workspace, LstmParameterGradients gradients,
        ArrayView<float> x, int batch, int time)
    {
        int H = Options.HiddenSize, I = Options.InputSize, G4 = Gates * H;
        var dense = kernels.Dense;
        dense.WeightGradients(stream, batch, time, G4, H, I, gradients.DWH, workspace.Shared.Projection, workspace.Shared.States,
            gradients.DWX, workspace.Shared.Projection, x);
        dense.VectorGradients(stream, batch, batch * time, G4, gradients.DB, gradients.DLnGain, gradients.DLnBias,
            workspace.Shared.Projection, workspace.Shared.LayerNormGrad);
        NormParameterGradient.Launch(cellNormGradient, stream, batch, H, gradients.DCellLnGain, gradients.DCellLnBias,
            workspace.Buffers.CellLayerNormGrad);
    }

    /// <summary>
    /// The parameter set both sweeps read (the reverse's extends it): sizes, ε, the weights, norms and the tape in
    /// <paramref name="workspace"/>; the forward adds its initial state and outputs.
    /// </summary>
    private LstmForwardSweepArgs SweepArguments(LstmWorkspace workspace, LstmParameters parameters, int batch, int time) => new()
    {
        Batch = batch, Time = time, Hidden = Options.HiddenSize, LnEps = (float)Options.LayerNormEpsilon,
        Projection = workspace.Shared.Projection, WH = parameters.WH, LnGain = parameters.LnGain, LnBias = parameters.LnBias,
        CellLnGain = parameters.CellLnGain, CellLnBias = parameters.CellLnBias,
        States = workspace.Shared.States, CellStates = workspace.Buffers.CellStates,
        Normalized = workspace.Shared.Normalized, InverseStd = workspace.Shared.InverseStd,
        CellNormalized = workspace.Buffers.CellNormalized, CellInverseStd = workspace.Buffers.CellInverseStd,
        Vectors = workspace.Shared.Vectors,
    };

    /// <summary>The weights or their gradients by name, in the record's order: W_h, W_x, the 4H-row b, γ, β, the H-row γ_c, β_c.</summary>
    private static GatedCellWeights Weights(LstmParameters p) =>
        new(p.WH, p.WX, [(p.B, "B"), (p.LnGain, "LnGain"), (p.LnBias, "LnBias")], [(p.CellLnGain, "CellLnGain"), (p.CellLnBias, "CellLnBias")]);

    private static GatedCellWeights Gradients(LstmParameterGradients g) =>
        new(g.DWH, g.DWX, [(g.DB, "B"), (g.DLnGain, "LnGain"), (g.DLnBias, "LnBias")], [(g.DCellLnGain, "CellLnGain"), (g.DCellLnBias, "CellLnBias")]);
}
