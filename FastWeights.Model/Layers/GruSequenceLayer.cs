using FastWeights.Kernels.Core;
using FastWeights.Kernels.Gru;
using FastWeights.Model.Parameters;

namespace FastWeights.Model.Layers;

/// <summary>
/// The GRU-LN baseline as a model layer: the <see cref="GruLayer"/> kernels with parameters
/// <c>name.W_h [3H,H]</c>, <c>name.W_x [3H,I]</c>, <c>name.input_ln_gain</c>, <c>name.input_ln_bias</c>,
/// <c>name.recurrent_ln_gain</c>, <c>name.recurrent_ln_bias [3H]</c> (rows r, u, n; docs/gru.md), a workspace and
/// zero initial state, or a carried one (<see cref="IStatefulSequenceLayer"/>: the state is h).
/// </summary>
public sealed class GruSequenceLayer : IStatefulSequenceLayer
{
    private readonly GruLayer layer;
    private readonly GruWorkspace workspace;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> hT;

    /// <summary>Builds the layer for batches of up to <paramref name="maxBatch"/> sequences of up to <paramref name="maxTime"/> steps.</summary>
    /// <param name="accelerator">Device.</param>
    /// <param name="name">Module name (parameter prefix).</param>
    /// <param name="input">I.</param>
    /// <param name="hidden">H.</param>
    /// <param name="maxBatch">Largest B.</param>
    /// <param name="maxTime">Largest T.</param>
    public GruSequenceLayer(Accelerator accelerator, string name, int input, int hidden, int maxBatch, int maxTime)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        layer = new GruLayer(accelerator, new GruOptions { InputSize = input, HiddenSize = hidden });
        int H = hidden, G = 3 * hidden;
        WH = new Parameter(accelerator, name + ".W_h", G, H);
        WX = new Parameter(accelerator, name + ".W_x", G, input);
        InputLnGain = new Parameter(accelerator, name + ".input_ln_gain", G);
        InputLnBias = new Parameter(accelerator, name + ".input_ln_bias", G);
        RecurrentLnGain = new Parameter(accelerator, name + ".recurrent_ln_gain", G);
        RecurrentLnBias = new Parameter(accelerator, name + ".recurrent_ln_bias", G);
        Parameters = [WH, WX, InputLnGain, InputLnBias, RecurrentLnGain, RecurrentLnBias];
        workspace = layer.CreateWorkspace(maxBatch, maxTime);
        hT = accelerator.Allocate1D<float>((long)maxBatch * H);
    }

    /// <summary>The kernels.</summary>
    public GruLayer Kernels => layer;

    /// <inheritdoc/>
    public SweepSchedule Schedule => layer.Schedule;

    /// <summary>I.</summary>
    public int InputSize => layer.Options.InputSize;

    /// <summary>H.</summary>
    public int OutputSize => layer.Options.HiddenSize;

    /// <summary>W_h [3H,H].</summary>
    public Parameter WH { get; }
    /// <summary>W_x [3H,I].</summary>
    public Parameter WX { get; }
    /// <summary>Input-projection layer-norm gains γ_x [3H].</summary>
    public Parameter InputLnGain { get; }
    /// <summary>Input-projection layer-norm shifts β_x [3H] (with β_h, the biases).</summary>
    public Parameter InputLnBias { get; }
    /// <summary>Recurrent-projection layer-norm gains γ_h [3H].</summary>
    public Parameter RecurrentLnGain { get; }
    /// <summary>Recurrent-projection layer-norm shifts β_h [3H].</summary>
    public Parameter RecurrentLnBias { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>W_h and W_x uniform ±1/√fan_in, layer-norm gains 1 and shifts 0 (as the TensorFlow reimplementations start).</summary>
    public void Initialize(Random rng)
    {
        Initializers.FanIn(WH, layer.Options.HiddenSize, rng);
        Initializers.FanIn(WX, layer.Options.InputSize, rng);
        Initializers.UnitGainZeroShift(InputLnGain, InputLnBias);
        Initializers.UnitGainZeroShift(RecurrentLnGain, RecurrentLnBias);
    }

    private GruParameters Views => new(WH.Value.View, WX.Value.View, InputLnGain.Value.View, InputLnBias.Value.View,
        RecurrentLnGain.Value.View, RecurrentLnBias.Value.View);

    /// <inheritdoc/>
    public void Forward(AcceleratorStream stream, ArrayView<float> y, ArrayView<float> x, int batch, int time)
    {
        long bh = (long)batch * layer.Options.HiddenSize;
        layer.Forward(stream, workspace, y, hT.View.SubView(0, bh), x, default, Views, batch, time);
    }

    /// <summary>The state is h: B·H floats.</summary>
    public long StateLength(int batch) => (long)batch * layer.Options.HiddenSize;

    /// <inheritdoc/>
    public void Forward(AcceleratorStream stream, ArrayView<float> y, ArrayView<float> finalState, ArrayView<float> x, ArrayView<float> initialState,
        int batch, int time)
    {
        long bh = (long)batch * layer.Options.HiddenSize;
        ViewChecks.Required(initialState, nameof(initialState), bh, $"[B={batch}·H]", layer.Accelerator);
        ViewChecks.Required(finalState, nameof(finalState), bh, $"[B={batch}·H]", layer.Accelerator);
        layer.Forward(stream, workspace, y, finalState, x, initialState, Views, batch, time);
    }

    /// <inheritdoc/>
    public void Backward(AcceleratorStream stream, ArrayView<float> dx, ArrayView<float> dy, ArrayView<float> x, int batch, int time)
    {
        layer.Backward(stream, workspace, dx, default,
            new GruParameterGradients(WH.Grad.View, WX.Grad.View, InputLnGain.Grad.View, InputLnBias.Grad.View,
                RecurrentLnGain.Grad.View, RecurrentLnBias.Grad.View),
            dy, default, x, Views, batch, time);
    }

    /// <summary>Frees parameters, workspace and state buffers.</summary>
    public void Dispose()
    {
        workspace.Dispose();
        hT.Dispose();
        foreach (var p in Parameters) p.Dispose();
        layer.Dispose();
    }
}
