using FastWeights.Kernels.Core;
using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Model.Parameters;

namespace FastWeights.Model.Layers;

/// <summary>
/// The recurrent layer of a model: the fast-weight kernels (<see cref="FastWeightRnnLayer"/>) with their
/// parameters <c>name.W [H,H]</c>, <c>name.C [H,I]</c>, <c>name.b [H]</c>, <c>name.ln_gain [H]</c>,
/// <c>name.ln_bias [H]</c>, a workspace, and zero initial state. The baselines are the same kernels with
/// other options (<see cref="OptionsFor"/>), so every model in a comparison runs the same code.
/// </summary>
/// <remarks>
/// Memory contract: a forward overwrites y and the layer's own state buffers (or the caller's final state, <see cref="IStatefulSequenceLayer"/>);
/// <see cref="Backward"/> overwrites every parameter gradient and dx. Each sequence starts from h = 0, A = 0 unless a state is given.
/// </remarks>
public sealed class FastWeightRnnSequenceLayer : IStatefulSequenceLayer
{
    private readonly FastWeightRnnLayer layer;
    private readonly FastWeightRnnWorkspace workspace;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> hT, aT;

    /// <summary>Builds the layer for batches of up to <paramref name="maxBatch"/> sequences of up to <paramref name="maxTime"/> steps.</summary>
    /// <param name="accelerator">Device.</param>
    /// <param name="name">Module name (parameter prefix).</param>
    /// <param name="options">Layer options (see <see cref="OptionsFor"/>).</param>
    /// <param name="maxBatch">Largest B.</param>
    /// <param name="maxTime">Largest T.</param>
    public FastWeightRnnSequenceLayer(Accelerator accelerator, string name, FastWeightRnnOptions options, int maxBatch, int maxTime)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(options);
        layer = new FastWeightRnnLayer(accelerator, options);
        int H = options.HiddenSize, I = options.InputSize;
        W = new Parameter(accelerator, name + ".W", H, H);
        C = new Parameter(accelerator, name + ".C", H, I);
        B = new Parameter(accelerator, name + ".b", H);
        LnGain = new Parameter(accelerator, name + ".ln_gain", H);
        LnBias = new Parameter(accelerator, name + ".ln_bias", H);
        workspace = layer.CreateWorkspace(maxBatch, maxTime);
        hT = accelerator.Allocate1D<float>((long)maxBatch * H);
        aT = accelerator.Allocate1D<float>((long)maxBatch * H * H);
        Parameters = options.LayerNorm ? [W, C, B, LnGain, LnBias] : [W, C, B];
    }

    /// <summary>The layer options for one of the compared models.</summary>
    /// <param name="kind">Which model.</param>
    /// <param name="input">I.</param>
    /// <param name="hidden">H (R in the paper).</param>
    /// <param name="innerSteps">S (fast weights only; baselines use 1).</param>
    /// <param name="decay">λ (fast weights only).</param>
    /// <param name="fastLearningRate">η (fast weights only; baselines use 0).</param>
    public static FastWeightRnnOptions OptionsFor(RecurrentKind kind, int input, int hidden, int innerSteps, double decay, double fastLearningRate) =>
        kind switch
        {
            RecurrentKind.FastWeights => new FastWeightRnnOptions
            {
                InputSize = input, HiddenSize = hidden, InnerSteps = innerSteps, Decay = decay, FastLearningRate = fastLearningRate,
            },
            RecurrentKind.LayerNormRnn => new FastWeightRnnOptions
            {
                InputSize = input, HiddenSize = hidden, InnerSteps = 1, Decay = 1.0, FastLearningRate = 0.0,
            },
            RecurrentKind.Control => new FastWeightRnnOptions
            {
                InputSize = input, HiddenSize = hidden, InnerSteps = 1, Decay = 1.0, FastLearningRate = 0.0, LayerNorm = false,
            },
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown recurrent kind."),
        };

    /// <summary>The kernels.</summary>
    public FastWeightRnnLayer Kernels => layer;

    /// <summary>I.</summary>
    public int InputSize => layer.Options.InputSize;

    /// <summary>H.</summary>
    public int OutputSize => layer.Options.HiddenSize;

    /// <inheritdoc/>
    public SweepSchedule Schedule => layer.Schedule;

    /// <summary>W [H,H].</summary>
    public Parameter W { get; }
    /// <summary>C [H,I].</summary>
    public Parameter C { get; }
    /// <summary>b [H].</summary>
    public Parameter B { get; }
    /// <summary>Layer-norm gain [H].</summary>
    public Parameter LnGain { get; }
    /// <summary>Layer-norm shift [H].</summary>
    public Parameter LnBias { get; }

    /// <summary>Trainable parameters (without layer norm, g and β are not trained and not listed).</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>
    /// Initialises as the paper's reimplementations do: W = 0.05·I, C and b uniform ±1/√I, gain 1, shift 0.
    /// </summary>
    public void Initialize(Random rng)
    {
        Initializers.ScaledIdentity(W, 0.05f);
        Initializers.FanIn(C, layer.Options.InputSize, rng);
        Initializers.FanIn(B, layer.Options.InputSize, rng);
        Initializers.UnitGainZeroShift(LnGain, LnBias);
    }

    private FastWeightRnnParameters Views => new(W.Value.View, C.Value.View, B.Value.View, LnGain.Value.View, LnBias.Value.View);

    /// <summary>y [B,T,H] from x [B,T,I], starting from zero state.</summary>
    public void Forward(AcceleratorStream stream, ArrayView<float> y, ArrayView<float> x, int batch, int time)
    {
        int H = layer.Options.HiddenSize;
        layer.Forward(stream, workspace, y, hT.View.SubView(0, (long)batch * H), aT.View.SubView(0, (long)batch * H * H),
            x, default, default, Views, batch, time);
    }

    /// <summary>The state is [h (B·H) | A (B·H·H)]: B·(H + H²) floats.</summary>
    public long StateLength(int batch)
    {
        long H = layer.Options.HiddenSize;
        return batch * (H + H * H);
    }

    /// <summary>y [B,T,H] from x [B,T,I] starting from (h0, A0) in <paramref name="initialState"/>; (hT, AT) go to <paramref name="finalState"/>.</summary>
    public void Forward(AcceleratorStream stream, ArrayView<float> y, ArrayView<float> finalState, ArrayView<float> x, ArrayView<float> initialState,
        int batch, int time)
    {
        long bh = (long)batch * layer.Options.HiddenSize;
        string shape = $"[B={batch}·(H+H²)]";
        ViewChecks.Required(initialState, nameof(initialState), StateLength(batch), shape, layer.Accelerator);
        ViewChecks.Required(finalState, nameof(finalState), StateLength(batch), shape, layer.Accelerator);
        layer.Forward(stream, workspace, y, finalState.SubView(0, bh), finalState.SubView(bh, bh * layer.Options.HiddenSize),
            x, initialState.SubView(0, bh), initialState.SubView(bh, bh * layer.Options.HiddenSize), Views, batch, time);
    }

    /// <summary>Parameter gradients (overwritten) and dx [B,T,I] (overwritten; empty = not wanted) from dy [B,T,H].</summary>
    public void Backward(AcceleratorStream stream, ArrayView<float> dx, ArrayView<float> dy, ArrayView<float> x, int batch, int time)
    {
        layer.Backward(stream, workspace, dx, default, default,
            new FastWeightRnnParameterGradients(W.Grad.View, C.Grad.View, B.Grad.View, LnGain.Grad.View, LnBias.Grad.View),
            dy, default, default, x, Views, batch, time);
    }

    /// <summary>Frees parameters, workspace and state buffers.</summary>
    public void Dispose()
    {
        workspace.Dispose();
        hT.Dispose();
        aT.Dispose();
        foreach (var p in new[] { W, C, B, LnGain, LnBias }) p.Dispose();
        layer.Dispose();
    }
}
