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
/// <para><see cref="TapeLayer{TWorkspace}.Forward"/> never forms A during the recurrence: aT is formed once at the end,
/// and with an empty a0 no O(H²) work is done before it. <see cref="TapeLayer{TWorkspace}.Backward"/> (docs/baselines.md §2)
/// reads the forward's A0 from the workspace's copy, so aT may have overwritten a0 in between; dA0 costs O(T·S·H²) when
/// wanted.</para>
/// </remarks>
public sealed class AttentionFormRnn : TapeLayer<AttentionFormWorkspace>
{
    private readonly Action<AcceleratorStream, Index1D, AttentionForwardArgs> forward;
    private readonly Action<AcceleratorStream, Index1D, AttentionReverseArgs> reverse;

    /// <summary>Builds the baseline and compiles its kernels for <paramref name="accelerator"/>.</summary>
    /// <param name="accelerator">Where every buffer and stream passed later must live.</param>
    /// <param name="options">Sizes and hyper-parameters; validated here.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the exception names it).</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public AttentionFormRnn(Accelerator accelerator, FastWeightRnnOptions options)
        : base(accelerator, options, squareThreads: false, Elements, (a, b, t, h, s) => new AttentionFormWorkspace(a, b, t, h, s))
    {
        forward = AttentionFormSweep.ForwardEntry.Load(accelerator);
        reverse = AttentionFormSweep.ReverseEntry.Load(accelerator);
    }

    /// <summary>Float32 elements of a workspace: the vector tape, then the form's buffers (docs/baselines.md §2), as it allocates them.</summary>
    internal static long Elements(int batch, int time, int hidden, int innerSteps) =>
        TapeWorkspace.Elements(batch, time, hidden, innerSteps, sizes => _ = new AttentionFormBuffers<long>(batch, time, hidden, sizes));

    /// <summary>One launch runs the whole recurrence without forming A and forms AT once at the end.</summary>
    private protected override void Recurrence(AcceleratorStream stream, AttentionFormWorkspace ws,
        ArrayView<float> y, ArrayView<float> hT, ArrayView<float> aT, ArrayView<float> h0, ArrayView<float> a0,
        FastWeightRnnParameters parameters, int batch, int time, bool hasH0, bool hasA0)
    {
        forward(stream, (Index1D)batch, SweepArguments(ws, parameters, batch, time, hasA0) with
        {
            HasH0 = hasH0 ? 1 : 0, LnEps = (float)Options.LayerNormEpsilon,
            Projection = ws.Tape.Projection, LnBias = parameters.LnBias,
            H0 = hasH0 ? h0 : ws.Buffers.Vectors, A0 = hasA0 ? a0 : ws.Buffers.Vectors,
            Y = y, HT = hT, AT = aT,
        });
        ws.ForwardHadA0 = hasA0;
    }

    /// <summary>One launch runs the reverse sweep (docs/baselines.md §2), then the parameter-gradient reductions.</summary>
    internal override void BackwardUnchecked(AcceleratorStream stream, AttentionFormWorkspace workspace,
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
        FormParameterGradients(stream, gradients, dx, has.HasDx, ws.Tape.Projection, ws.Tape.States, ws.Buffers.LayerNormGrad, x, parameters.C, batch, time);
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
}
