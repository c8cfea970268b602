using FastWeights.Kernels.GatedCells;
using FastWeights.Kernels.Lstm;

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
public sealed class GruLayer : GatedCellLayer<GruOptions, GruWorkspace>
{
    internal const int Gates = 3;

    private readonly GatedCellKernels<GruForwardSweepArgs, GruReverseSweepArgs> kernels;
    private readonly Action<AcceleratorStream, Index1D, NormParameterGradientArgs> normGradient;

    /// <summary>Builds the layer and compiles its kernels for <paramref name="accelerator"/>.</summary>
    /// <param name="accelerator">Where every buffer and stream passed later must live.</param>
    /// <param name="options">Sizes and settings; validated here.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the exception names it), or H is too
    /// large for the group schedule's shared memory.</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public GruLayer(Accelerator accelerator, GruOptions options)
        : this(options, new GatedCellKernels<GruForwardSweepArgs, GruReverseSweepArgs>(accelerator, options, nameof(GruLayer), Gates,
            GruForwardSweep.ThreadEntry, GruReverseSweep.ThreadEntry, GruForwardSweep.GroupEntry, GruReverseSweep.GroupEntry,
            GruForwardSweep.GroupSharedFloats, inputBias: false, vectorGradients: false))
    {
    }

    private GruLayer(GruOptions options, GatedCellKernels<GruForwardSweepArgs, GruReverseSweepArgs> kernels)
        : base(options, kernels)
    {
        this.kernels = kernels;
        normGradient = NormParameterGradient.Entry.Load(kernels.Accelerator);
    }

    /// <summary>
    /// Bytes of device memory one training call needs for (B, T, I, H): 4·(B·T·(12H + 4) + B·(T+1)·H + 14·B·H)
    /// (docs/gru.md §4). I does not enter (x and dx are the caller's buffers); it is a parameter so the signature
    /// names every size of the layer.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or too large.</exception>
    public static long WorkspaceBytes(int batch, int time, int input, int hidden)
    {
        CheckSizes(Gates, batch, time, input, hidden);
        return new GruWorkspacePlan(batch, time, hidden).TotalBytes;
    }

    private protected override long PlanBytes(int batch, int time, int input, int hidden) => WorkspaceBytes(batch, time, input, hidden);

    private protected override GruWorkspace NewWorkspace(int maxBatch, int maxTime) =>
        new(Accelerator, new GruWorkspacePlan(maxBatch, maxTime, Options.HiddenSize));

    /// <summary>
    /// Runs the layer over <paramref name="time"/> steps of <paramref name="batch"/> sequences and stores in
    /// <paramref name="workspace"/> what <see cref="Backward"/> needs.
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/> the kernels are queued on.</param>
    /// <param name="workspace">From <see cref="GatedCellLayer{TOptions, TWorkspace}.CreateWorkspace"/>, with capacity ≥ (batch, time).</param>
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
        => kernels.Forward(this, stream, workspace, batch, time, y, [(hT, nameof(hT))], x, [(h0, nameof(h0))],
            Weights(parameters), bias: null,
            has => SweepArguments(workspace, parameters, batch, time) with
            {
                HasH0 = has[0] ? 1 : 0, H0 = has[0] ? h0 : workspace.Shared.Vectors, Y = y, HT = hT,
            },
            (args, columns) => args with { WHColumns = columns });

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
        => kernels.Backward(this, stream, workspace, batch, time, dx, [(dh0, nameof(dh0))], Gradients(gradients),
            dy, [(dhT, nameof(dhT))], x, Weights(parameters),
            (has0, hasT) => new GruReverseSweepArgs
            {
                Forward = SweepArguments(workspace, parameters, batch, time),
                HasDhT = hasT[0] ? 1 : 0, HasDh0 = has0[0] ? 1 : 0,
                Dy = dy, DhT = hasT[0] ? dhT : workspace.Shared.Vectors,
                Dp = workspace.Shared.Projection, Dq = workspace.Buffers.RecurrentGrad,
                InputLayerNormGrad = workspace.Shared.LayerNormGrad, RecurrentLayerNormGrad = workspace.Buffers.RecurrentLayerNormGrad,
                DH0 = has0[0] ? dh0 : workspace.Shared.Vectors,
            },
            () => ParameterGradients(stream, workspace, gradients, x, batch, time));

    /// <summary>
    /// The weight gradients from the stored dq, dp (each element summed over (b, t) in a fixed order): dW_h, dW_x, then
    /// both norms' dγ, dβ from their per-sequence partials.
    /// </summary>
    private void ParameterGradients(AcceleratorStream stream, GruWorkspace workspace, GruParameterGradients gradients,
        ArrayView<float> x, int batch, int time)
    {
        int H = Options.HiddenSize, I = Options.InputSize, G3 = Gates * H;
        kernels.Dense.WeightGradients(stream, batch, time, G3, H, I, gradients.DWH, workspace.Buffers.RecurrentGrad, workspace.Shared.States,
            gradients.DWX, workspace.Shared.Projection, x);
        NormParameterGradient.Launch(normGradient, stream, batch, G3, gradients.DInputLnGain, gradients.DInputLnBias,
            workspace.Shared.LayerNormGrad);
        NormParameterGradient.Launch(normGradient, stream, batch, G3, gradients.DRecurrentLnGain, gradients.DRecurrentLnBias,
            workspace.Buffers.RecurrentLayerNormGrad);
    }

    /// <summary>
    /// The parameter set both sweeps read (the reverse's extends it): sizes, ε, the weights, norms and the tape in
    /// <paramref name="workspace"/>; the forward adds its initial state and outputs.
    /// </summary>
    private GruForwardSweepArgs SweepArguments(GruWorkspace workspace, GruParameters parameters, int batch, int time) => new()
    {
        Batch = batch, Time = time, Hidden = Options.HiddenSize, LnEps = (float)Options.LayerNormEpsilon,
        Projection = workspace.Shared.Projection, WH = parameters.WH,
        InputLnGain = parameters.InputLnGain, InputLnBias = parameters.InputLnBias,
        RecurrentLnGain = parameters.RecurrentLnGain, RecurrentLnBias = parameters.RecurrentLnBias,
        States = workspace.Shared.States, InputNormalized = workspace.Shared.Normalized,
        RecurrentNormalized = workspace.Buffers.RecurrentNormalized, InverseStd = workspace.Shared.InverseStd,
        Vectors = workspace.Shared.Vectors,
    };

    /// <summary>The weights or their gradients by name, in the record's order: W_h, W_x, then γ_x, β_x, γ_h, β_h (all 3H rows).</summary>
    private static GatedCellWeights Weights(GruParameters p) => new(p.WH, p.WX,
        [(p.InputLnGain, "InputLnGain"), (p.InputLnBias, "InputLnBias"), (p.RecurrentLnGain, "RecurrentLnGain"), (p.RecurrentLnBias, "RecurrentLnBias")], []);

    private static GatedCellWeights Gradients(GruParameterGradients g) => new(g.DWH, g.DWX,
        [(g.DInputLnGain, "InputLnGain"), (g.DInputLnBias, "InputLnBias"), (g.DRecurrentLnGain, "RecurrentLnGain"), (g.DRecurrentLnBias, "RecurrentLnBias")], []);
}
