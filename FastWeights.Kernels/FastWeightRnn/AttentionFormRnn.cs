using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// Baseline: the fast-weight layer with A never formed during the recurrence. With
/// A(t) = λ^t A0 + η Σ_{τ&lt;t} λ^{t−1−τ} h_τ h_τᵀ, every product is evaluated exactly as
/// A(t) v = λ^t (A0 v) + η Σ_{τ&lt;t} λ^{t−1−τ} h_τ (h_τ · v) over the stored outer states: O(t·H) per
/// product instead of O(H²) (plus O(H²) when an A0 is given). AT is formed once at the end
/// (O(T·H²)). The backward is derived by hand in docs/baselines.md §2. Same semantics, layout and
/// argument rules as <see cref="FastWeightRnnLayer"/> (docs/design.md §2, §7).
/// </summary>
/// <remarks>
/// <para>One thread per sequence runs the whole forward (one launch) and the whole reverse sweep (one
/// launch); the input projection and the parameter-gradient reductions are the fused layer's kernels.
/// Workspace: B·H·(2T(S+1) + T + 6) + B·T·S + B·H² floats; the one H×H buffer per sequence is a copy of A0
/// (the backward needs A0 and aT may alias a0), never an A(t).</para>
/// <para>Of <see cref="FastWeightRnnOptions"/> it uses the sizes, λ, η, ε, the activation and
/// <see cref="FastWeightRnnOptions.LayerNorm"/>. <see cref="FastWeightRnnOptions.Schedule"/> and
/// <see cref="FastWeightRnnOptions.CheckpointInterval"/> do not apply (nothing is rebuilt; there is no group variant);
/// <see cref="FastWeightRnnOptions.CheckFinite"/> is not implemented here and is ignored.</para>
/// </remarks>
public sealed class AttentionFormRnn : IDisposable
{
    private readonly TapeLayerCommon common;
    private readonly Action<AcceleratorStream, Index1D, AttentionForwardArgs> forward;
    private readonly Action<AcceleratorStream, Index1D, AttentionReverseArgs> reverse;
    private bool disposed;

    /// <summary>Builds the baseline and compiles its kernels for <paramref name="accelerator"/>.</summary>
    /// <param name="accelerator">Where every buffer and stream passed later must live.</param>
    /// <param name="options">Sizes and hyper-parameters; validated here.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the exception names it).</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public AttentionFormRnn(Accelerator accelerator, FastWeightRnnOptions options)
    {
        common = new TapeLayerCommon(accelerator, options);
        forward = AttentionFormSweep.ForwardEntry.Load(accelerator);
        reverse = AttentionFormSweep.ReverseEntry.Load(accelerator);
    }

    /// <summary>The accelerator every buffer must live on.</summary>
    public Accelerator Accelerator => common.Accelerator;

    /// <summary>The options the baseline was built with.</summary>
    public FastWeightRnnOptions Options => common.Options;

    /// <summary>Float32 elements of a workspace: the vector tape, then the form's buffers (docs/baselines.md §2), as it allocates them.</summary>
    internal static long Elements(int batch, int time, int hidden, int innerSteps) =>
        TapeWorkspace.Elements(batch, time, hidden, innerSteps, sizes => _ = new AttentionFormBuffers<long>(batch, time, hidden, sizes));

    /// <summary>Bytes of device memory a workspace for (B, T) takes with these options: exactly what <see cref="CreateWorkspace"/> allocates.</summary>
    /// <param name="batch">B ≥ 1.</param>
    /// <param name="time">T ≥ 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1.</exception>
    public long WorkspaceBytes(int batch, int time)
    {
        common.CheckWorkspaceRequest(batch, time);
        return Elements(batch, time, Options.HiddenSize, Options.InnerSteps) * sizeof(float);
    }

    /// <summary>Allocates a workspace for batches of up to <paramref name="maxBatch"/> sequences of up to <paramref name="maxTime"/> steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1.</exception>
    /// <exception cref="ObjectDisposedException">The baseline is disposed.</exception>
    public AttentionFormWorkspace CreateWorkspace(int maxBatch, int maxTime)
    {
        ThrowIfDisposed();
        common.CheckWorkspaceRequest(maxBatch, maxTime);
        return new AttentionFormWorkspace(Accelerator, maxBatch, maxTime, Options.HiddenSize, Options.InnerSteps);
    }

    /// <summary>
    /// Runs the layer over <paramref name="time"/> steps of <paramref name="batch"/> sequences without
    /// forming A, and stores in <paramref name="workspace"/> what <see cref="Backward"/> needs.
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/> the kernels are queued on.</param>
    /// <param name="workspace">From <see cref="CreateWorkspace"/>, with capacity ≥ (batch, time).</param>
    /// <param name="y">Out [B,T,H]: h after every step. Overwritten.</param>
    /// <param name="hT">Out [B,H]: h after the last step. May be the same view as <paramref name="h0"/>.</param>
    /// <param name="aT">Out [B,H,H]: A after the last step, formed once at the end. May be the same view as <paramref name="a0"/>.</param>
    /// <param name="x">In [B,T,I].</param>
    /// <param name="h0">In [B,H], or an empty view for zeros.</param>
    /// <param name="a0">In [B,H,H], or an empty view for zeros (then no O(H²) work is done before AT).</param>
    /// <param name="parameters">W, C, b, g, β.</param>
    /// <param name="batch">B ≥ 1.</param>
    /// <param name="time">T ≥ 1.</param>
    /// <exception cref="ArgumentException">A view has the wrong length, is missing, or lives on another accelerator. The message names the argument.</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time &lt; 1, or larger than the workspace.</exception>
    /// <exception cref="ObjectDisposedException">The baseline, workspace, stream or a buffer is disposed.</exception>
    public void Forward(AcceleratorStream stream, AttentionFormWorkspace workspace,
        ArrayView<float> y, ArrayView<float> hT, ArrayView<float> aT,
        ArrayView<float> x, ArrayView<float> h0, ArrayView<float> a0,
        FastWeightRnnParameters parameters, int batch, int time)
    {
        ThrowIfDisposed();
        var (hasH0, hasA0) = common.CheckForward(stream, workspace, y, hT, aT, x, h0, a0, parameters, batch, time, squareThreads: false);
        ForwardUnchecked(stream, workspace, y, hT, aT, x, h0, a0, parameters, batch, time, hasH0, hasA0);
    }

    /// <summary>
    /// <see cref="Forward"/> after its checks: the caller (this class's <see cref="Forward"/>, or
    /// <see cref="FastWeightRnnLayer"/>, which checks the same arguments against the same sizes at its own boundary)
    /// has validated every argument and found which optional inputs are present.
    /// </summary>
    internal void ForwardUnchecked(AcceleratorStream stream, AttentionFormWorkspace workspace,
        ArrayView<float> y, ArrayView<float> hT, ArrayView<float> aT,
        ArrayView<float> x, ArrayView<float> h0, ArrayView<float> a0,
        FastWeightRnnParameters parameters, int batch, int time, bool hasH0, bool hasA0)
    {
        var ws = workspace;
        common.Project(stream, ws.Tape.Projection, x, parameters, batch, time);
        forward(stream, (Index1D)batch, SweepArguments(ws, parameters, batch, time, hasA0) with
        {
            HasH0 = hasH0 ? 1 : 0, LnEps = (float)Options.LayerNormEpsilon,
            Projection = ws.Tape.Projection, LnBias = parameters.LnBias,
            H0 = hasH0 ? h0 : ws.Buffers.Vectors, A0 = hasA0 ? a0 : ws.Buffers.Vectors,
            Y = y, HT = hT, AT = aT,
        });
        ws.RecordForward(this, batch, time);
        ws.ForwardHadA0 = hasA0;
    }

    /// <summary>
    /// Gradients of a scalar loss L given dL/dy, dL/dhT and dL/dAT for the last <see cref="Forward"/> on
    /// <paramref name="workspace"/> (docs/baselines.md §2). The forward's A0 is read from the workspace's copy,
    /// so aT may have overwritten a0 in between.
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="workspace">The workspace the matching forward used.</param>
    /// <param name="dx">Out [B,T,I], or empty if not wanted. Overwritten.</param>
    /// <param name="dh0">Out [B,H], or empty. Overwritten.</param>
    /// <param name="dA0">Out [B,H,H], or empty. Overwritten. Costs O(T·S·H²) when wanted.</param>
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
    /// <exception cref="ObjectDisposedException">The baseline, workspace, stream or a buffer is disposed.</exception>
    public void Backward(AcceleratorStream stream, AttentionFormWorkspace workspace,
        ArrayView<float> dx, ArrayView<float> dh0, ArrayView<float> dA0, FastWeightRnnParameterGradients gradients,
        ArrayView<float> dy, ArrayView<float> dhT, ArrayView<float> dAT,
        ArrayView<float> x, FastWeightRnnParameters parameters, int batch, int time)
    {
        ThrowIfDisposed();
        var has = common.CheckBackward(this, stream, workspace, dx, dh0, dA0, gradients, dy, dhT, dAT, x, parameters, batch, time, squareThreads: false);
        BackwardUnchecked(stream, workspace, dx, dh0, dA0, gradients, dy, dhT, dAT, x, parameters, batch, time, has);
    }

    /// <summary>
    /// <see cref="Backward"/> after its checks (see <see cref="ForwardUnchecked"/>): <paramref name="has"/> says which
    /// optional views are present.
    /// </summary>
    internal void BackwardUnchecked(AcceleratorStream stream, AttentionFormWorkspace workspace,
        ArrayView<float> dx, ArrayView<float> dh0, ArrayView<float> dA0, FastWeightRnnParameterGradients gradients,
        ArrayView<float> dy, ArrayView<float> dhT, ArrayView<float> dAT,
        ArrayView<float> x, FastWeightRnnParameters parameters, int batch, int time, FastWeightRnnBackwardViews has)
    {
        var ws = workspace;
        reverse(stream, (Index1D)batch, new AttentionReverseArgs
        {
            Forward = SweepArguments(ws, parameters, batch, time, ws.ForwardHadA0),
            HasDhT = has.HasDhT ? 1 : 0, HasDAT = has.HasDAT ? 1 : 0,
            HasDh0 = has.HasDh0 ? 1 : 0, HasDA0 = has.HasDA0 ? 1 : 0,
            Dy = dy, DhT = has.HasDhT ? dhT : ws.Buffers.Vectors, DAT = has.HasDAT ? dAT : ws.Buffers.Vectors,
            Dz = ws.Tape.Projection, HistoryGrad = ws.Buffers.HistoryGrad, LayerNormGrad = ws.Buffers.LayerNormGrad,
            DH0 = has.HasDh0 ? dh0 : ws.Buffers.Vectors, DA0 = has.HasDA0 ? dA0 : ws.Buffers.Vectors,
        });
        common.FormParameterGradients(stream, gradients, dx, has.HasDx, ws.Tape.Projection, ws.Tape.States, ws.Buffers.LayerNormGrad, x, parameters.C, batch, time);
    }

    /// <summary>
    /// The set both sweeps read (the reverse's extends it): sizes, options, W, g, whether A0 was given, the workspace's
    /// copy of A0 and its tape.
    /// </summary>
    private AttentionForwardArgs SweepArguments(AttentionFormWorkspace ws, FastWeightRnnParameters parameters, int batch, int time,
        bool hasA0) => new()
    {
        Batch = batch, Time = time, Hidden = Options.HiddenSize, InnerSteps = Options.InnerSteps,
        Activation = (int)Options.Activation, HasA0 = hasA0 ? 1 : 0, LayerNorm = Options.LayerNorm ? 1 : 0,
        Decay = (float)Options.Decay, FastLr = (float)Options.FastLearningRate,
        W = parameters.W, LnGain = parameters.LnGain, A0Copy = ws.Buffers.InitialFastWeights,
        States = ws.Tape.States, InnerStates = ws.Tape.InnerStates, Normalized = ws.Tape.Normalized, InverseStd = ws.Tape.InverseStd,
        Vectors = ws.Buffers.Vectors,
    };

    private void ThrowIfDisposed()
    {
        if (disposed) throw new ObjectDisposedException(nameof(AttentionFormRnn));
        common.ThrowIfAcceleratorDisposed();
    }

    /// <summary>Marks the baseline disposed. It owns no device memory (kernels are owned by the accelerator). Safe to call twice.</summary>
    public void Dispose() => disposed = true;
}
