using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.Baselines;

/// <summary>
/// Baseline: the fast-weight layer run the way a framework without kernel fusion runs it. Every time
/// step and every inner step is its own set of kernel launches over the batch, and A is stored after
/// every step (the autograd tape), so the backward reads A(t) instead of rebuilding it.
/// Same semantics, layout and argument rules as <see cref="FastWeightRnnLayer"/> (docs/design.md §2, §7);
/// the launch sequence and the memory are in docs/baselines.md §1.
/// </summary>
/// <remarks>
/// <para>Launches per forward: 3 + T·(2 + 2S) + 2. Per backward: 3 + T·(4 + 3S) + (dh0, dA0 wanted) + 3 (+1 with dx).
/// Workspace: B·H²·(T + 2) + B·H·(2T(S+1) + 6) + B·T·S floats (the store-all tape).</para>
/// <para>Of <see cref="FastWeightRnnOptions"/> it uses the sizes, λ, η, ε, the activation and
/// <see cref="FastWeightRnnOptions.LayerNorm"/>. <see cref="FastWeightRnnOptions.Schedule"/> and
/// <see cref="FastWeightRnnOptions.CheckpointInterval"/> do not apply (A is stored for every step);
/// <see cref="FastWeightRnnOptions.CheckFinite"/> is not implemented here and is ignored.</para>
/// <para><see cref="TapeLayer{TWorkspace}.Forward"/> runs one set of launches per step and inner step and stores A after
/// every step; <see cref="TapeLayer{TWorkspace}.Backward"/> runs one set of launches per step and inner step in reverse,
/// then the parameter-gradient reductions, reading the stored A(t) (never rebuilding it).</para>
/// </remarks>
public sealed class PerStepLaunchRnn : TapeLayer<PerStepLaunchWorkspace>
{
    private readonly Action<AcceleratorStream, Index1D, MatVecArgs> matVec;
    private readonly Action<AcceleratorStream, Index1D, RankOneArgs> rankOne;
    private readonly Action<AcceleratorStream, Index1D, RowCopyArgs> rowCopy;
    private readonly Action<AcceleratorStream, Index1D, OutputGradArgs> outputGrad;
    private readonly Action<AcceleratorStream, Index1D, PreliminaryGradArgs> preliminaryGrad;
    private readonly Action<AcceleratorStream, Index1D, InnerNormArgs> innerNorm;
    private readonly Action<AcceleratorStream, Index1D, NormBackwardArgs> normBackward;

    /// <summary>Builds the baseline and compiles its kernels for <paramref name="accelerator"/>.</summary>
    /// <param name="accelerator">Where every buffer and stream passed later must live.</param>
    /// <param name="options">Sizes and hyper-parameters; validated here.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the exception names it).</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public PerStepLaunchRnn(Accelerator accelerator, FastWeightRnnOptions options)
        : base(accelerator, options, squareThreads: true, Elements, (a, b, t, h, s) => new PerStepLaunchWorkspace(a, b, t, h, s))
    {
        matVec = PerStepKernels.MatVecEntry.Load(accelerator);
        rankOne = PerStepKernels.RankOneEntry.Load(accelerator);
        rowCopy = PerStepKernels.RowCopyEntry.Load(accelerator);
        outputGrad = PerStepKernels.OutputGradEntry.Load(accelerator);
        preliminaryGrad = PerStepKernels.PreliminaryGradEntry.Load(accelerator);
        innerNorm = PerStepKernels.InnerNormEntry.Load(accelerator);
        normBackward = PerStepKernels.NormBackwardEntry.Load(accelerator);
    }

    /// <summary>Float32 elements of a workspace: the vector tape, then the form's buffers (docs/baselines.md §1), as it allocates them.</summary>
    internal static long Elements(int batch, int time, int hidden, int innerSteps) =>
        TapeWorkspace.Elements(batch, time, hidden, innerSteps, sizes => _ = new PerStepLaunchBuffers<long>(batch, time, hidden, sizes));

    /// <summary>One set of launches per step and inner step; A(t) is stored before every step (docs/baselines.md §1).</summary>
    private protected override void Recurrence(AcceleratorStream stream, PerStepLaunchWorkspace ws,
        ArrayView<float> y, ArrayView<float> hT, ArrayView<float> aT, ArrayView<float> h0, ArrayView<float> a0,
        FastWeightRnnParameters parameters, int batch, int time, bool hasH0, bool hasA0)
    {
        int B = batch, T = time, H = Options.HiddenSize, S = Options.InnerSteps;
        long hh = (long)H * H;
        long stateStride = (long)(T + 1) * H, stepStride = (long)T * H, innerStride = (long)T * S * H, tapeStride = (T + 1) * hh;
        int activation = (int)Options.Activation, layerNorm = Options.LayerNorm ? 1 : 0;
        float decay = (float)Options.Decay, fastLr = (float)Options.FastLearningRate, eps = (float)Options.LayerNormEpsilon;

        Copy(stream, B, H, hasH0 ? new BatchedView(h0, 0, H) : null, new BatchedView(ws.Tape.States, 0, stateStride));
        Copy(stream, B, hh, hasA0 ? new BatchedView(a0, 0, hh) : null, new BatchedView(ws.Buffers.FastWeights, 0, tapeStride));

        var z = new BatchedView(ws.Buffers.Preactivation, 0, H);
        for (int t = 0; t < T; t++)
        {
            // z = W h_{t−1} + u_t ; h_0 = f(z)
            MatVec(stream, B, transpose: false, new BatchedView(parameters.W, 0, 0), new BatchedView(ws.Tape.States, (long)t * H, stateStride),
                new BatchedView(ws.Tape.Projection, (long)t * H, stepStride), z,
                new BatchedView(ws.Tape.InnerStates, (long)t * S * H, innerStride), activation);
            for (int s = 0; s < S; s++)
            {
                long inner = (long)t * S + s;
                bool last = s + 1 == S;
                // v = z + A(t) h_s
                MatVec(stream, B, transpose: false, new BatchedView(ws.Buffers.FastWeights, t * hh, tapeStride),
                    new BatchedView(ws.Tape.InnerStates, inner * H, innerStride), z,
                    new BatchedView(ws.Tape.Normalized, inner * H, innerStride), null, activation);
                // h_{s+1} = f(LN(v))
                innerNorm(stream, (Index1D)B, new InnerNormArgs
                {
                    Hidden = H, Activation = activation, LayerNorm = layerNorm, HasY = last ? 1 : 0, LnEps = eps,
                    LnGain = parameters.LnGain, LnBias = parameters.LnBias,
                    V = new BatchedView(ws.Tape.Normalized, inner * H, innerStride),
                    InverseStd = new BatchedView(ws.Tape.InverseStd, inner, (long)T * S),
                    Out = last ? new BatchedView(ws.Tape.States, (long)(t + 1) * H, stateStride) : new BatchedView(ws.Tape.InnerStates, (inner + 1) * H, innerStride),
                    Y = new BatchedView(y, (long)t * H, stepStride),
                });
            }
            // A(t+1) = λ A(t) + η h_t h_tᵀ, into the next tape slot.
            var ht = new BatchedView(ws.Tape.States, (long)(t + 1) * H, stateStride);
            RankOne(stream, B, decay, new BatchedView(ws.Buffers.FastWeights, t * hh, tapeStride),
                new BatchedView(ws.Buffers.FastWeights, (t + 1) * hh, tapeStride), fastLr, ht, ht);
        }

        Copy(stream, B, H, new BatchedView(ws.Tape.States, (long)T * H, stateStride), new BatchedView(hT, 0, H));
        Copy(stream, B, hh, new BatchedView(ws.Buffers.FastWeights, T * hh, tapeStride), new BatchedView(aT, 0, hh));
    }

    /// <summary>One set of launches per step and inner step in reverse, reading the stored A(t), then the parameter-gradient reductions.</summary>
    internal override void BackwardUnchecked(AcceleratorStream stream, PerStepLaunchWorkspace workspace,
        ArrayView<float> dx, ArrayView<float> dh0, ArrayView<float> dA0, FastWeightRnnParameterGradients gradients,
        ArrayView<float> dy, ArrayView<float> dhT, ArrayView<float> dAT,
        ArrayView<float> x, FastWeightRnnParameters parameters, int batch, int time, FastWeightRnnBackwardViews has)
    {
        var ws = workspace;
        int B = batch, T = time, H = Options.HiddenSize, S = Options.InnerSteps;
        long hh = (long)H * H;
        long stateStride = (long)(T + 1) * H, stepStride = (long)T * H, innerStride = (long)T * S * H, tapeStride = (T + 1) * hh;
        int activation = (int)Options.Activation, layerNorm = Options.LayerNorm ? 1 : 0;
        float decay = (float)Options.Decay, fastLr = (float)Options.FastLearningRate;

        var dh = new BatchedView(ws.Buffers.Vectors, 0, 2L * H);
        var dv = new BatchedView(ws.Buffers.Vectors, H, 2L * H);
        var aBar = new BatchedView(ws.Buffers.FastWeightGrad, 0, hh);
        Copy(stream, B, H, has.HasDhT ? new BatchedView(dhT, 0, H) : null, dh);
        Copy(stream, B, hh, has.HasDAT ? new BatchedView(dAT, 0, hh) : null, aBar);
        Copy(stream, B, 2L * H, null, new BatchedView(ws.Buffers.LayerNormGrad, 0, 2L * H));

        int blockBH = Block((long)B * H);
        for (int t = T - 1; t >= 0; t--)
        {
            var dz = new BatchedView(ws.Tape.Projection, (long)t * H, stepStride);
            var ht = new BatchedView(ws.Tape.States, (long)(t + 1) * H, stateStride);
            // dh += dy_t + η (Ā + Āᵀ) h_t ; dz_t ← 0
            outputGrad(stream, Threads((long)B * H, blockBH), new OutputGradArgs
            {
                Batch = B, Hidden = H, Block = blockBH, FastLr = fastLr,
                Dh = dh, Dy = new BatchedView(dy, (long)t * H, stepStride), FastWeightGrad = aBar, State = ht, Dz = dz,
            });
            // Ā ← λ Ā
            RankOne(stream, B, decay, aBar, aBar, 0f, null, null);
            var fastWeights = new BatchedView(ws.Buffers.FastWeights, t * hh, tapeStride);
            for (int s = S - 1; s >= 0; s--)
            {
                long inner = (long)t * S + s;
                var hIn = new BatchedView(ws.Tape.InnerStates, inner * H, innerStride);
                normBackward(stream, (Index1D)B, new NormBackwardArgs
                {
                    Hidden = H, Activation = activation, LayerNorm = layerNorm, LnGain = parameters.LnGain,
                    Dh = dh, Dv = dv,
                    HOut = s + 1 < S ? new BatchedView(ws.Tape.InnerStates, (inner + 1) * H, innerStride) : ht,
                    XHat = new BatchedView(ws.Tape.Normalized, inner * H, innerStride),
                    InverseStd = new BatchedView(ws.Tape.InverseStd, inner, (long)T * S),
                    Dz = dz,
                    DGain = new BatchedView(ws.Buffers.LayerNormGrad, 0, 2L * H),
                    DBias = new BatchedView(ws.Buffers.LayerNormGrad, H, 2L * H),
                });
                // Ā += dv h_sᵀ ; dh_s = A(t)ᵀ dv
                RankOne(stream, B, 1f, aBar, aBar, 1f, dv, hIn);
                MatVec(stream, B, transpose: true, fastWeights, dv, null, dh, null, activation);
            }
            // dz_t += dh_0 ⊙ f'(z) ; dh_{t−1} = Wᵀ dz_t
            preliminaryGrad(stream, Threads((long)B * H, blockBH), new PreliminaryGradArgs
            {
                Batch = B, Hidden = H, Block = blockBH, Activation = activation,
                Dz = dz, Dh = dh, Preliminary = new BatchedView(ws.Tape.InnerStates, (long)t * S * H, innerStride),
            });
            MatVec(stream, B, transpose: true, new BatchedView(parameters.W, 0, 0), dz, null, dh, null, activation);
        }

        if (has.HasDh0)
            Copy(stream, B, H, dh, new BatchedView(dh0, 0, H));
        if (has.HasDA0)
            Copy(stream, B, hh, aBar, new BatchedView(dA0, 0, hh));
        FormParameterGradients(stream, gradients, dx, has.HasDx, ws.Tape.Projection, ws.Tape.States, ws.Buffers.LayerNormGrad, x, parameters.C, B, T);
    }

    private void MatVec(AcceleratorStream stream, int batch, bool transpose, BatchedView matrix, BatchedView vector,
        BatchedView? add, BatchedView output, BatchedView? activated, int activation)
    {
        int H = Options.HiddenSize;
        int block = Block((long)batch * H);
        matVec(stream, Threads((long)batch * H, block), new MatVecArgs
        {
            Batch = batch, Hidden = H, Block = block, Transpose = transpose ? 1 : 0,
            HasAdd = add is null ? 0 : 1, HasActivated = activated is null ? 0 : 1, Activation = activation,
            Matrix = matrix, Vector = vector, Add = add ?? output, Out = output, Activated = activated ?? output,
        });
    }

    private void RankOne(AcceleratorStream stream, int batch, float alpha, BatchedView input, BatchedView output,
        float beta, BatchedView? left, BatchedView? right)
    {
        int H = Options.HiddenSize;
        long total = (long)batch * H * H;
        int block = Block(total);
        rankOne(stream, Threads(total, block), new RankOneArgs
        {
            Batch = batch, Hidden = H, Block = block, HasOuter = left is null ? 0 : 1, Alpha = alpha, Beta = beta,
            In = input, Out = output, Left = left ?? output, Right = right ?? output,
        });
    }

    private void Copy(AcceleratorStream stream, int rows, long length, BatchedView? source, BatchedView target)
    {
        long total = rows * length;
        int block = Block(total);
        rowCopy(stream, Threads(total, block), new RowCopyArgs
        {
            Rows = rows, Length = length, Block = block, HasSource = source is null ? 0 : 1,
            Source = source ?? target, Target = target,
        });
    }
}
