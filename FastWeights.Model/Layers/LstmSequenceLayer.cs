using FastWeights.Kernels.Core;
using FastWeights.Kernels.Lstm;
using FastWeights.Model.Parameters;

namespace FastWeights.Model.Layers;

/// <summary>
/// The LSTM-LN baseline as a model layer: the <see cref="LstmLayer"/> kernels with parameters
/// <c>name.W_h [4H,H]</c>, <c>name.W_x [4H,I]</c>, <c>name.b [4H]</c>, <c>name.ln_gain</c>, <c>name.ln_bias [4H]</c>,
/// <c>name.cell_ln_gain</c>, <c>name.cell_ln_bias [H]</c> (gates i, f, g, o), a workspace and zero initial state.
/// </summary>
public sealed class LstmSequenceLayer : IStatefulSequenceLayer
{
    private readonly LstmLayer layer;
    private readonly LstmWorkspace workspace;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> hT, cT;

    /// <summary>Builds the layer for batches of up to <paramref name="maxBatch"/> sequences of up to <paramref name="maxTime"/> steps.</summary>
    /// <param name="accelerator">Device.</param>
    /// <param name="name">Module name (parameter prefix).</param>
    /// <param name="input">I.</param>
    /// <param name="hidden">H.</param>
    /// <param name="maxBatch">Largest B.</param>
    /// <param name="maxTime">Largest T.</param>
    public LstmSequenceLayer(Accelerator accelerator, string name, int input, int hidden, int maxBatch, int maxTime)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        layer = new LstmLayer(accelerator, new LstmOptions { InputSize = input, HiddenSize = hidden });
        int H = hidden, G = 4 * hidden;
        WH = new Parameter(accelerator, name + ".W_h", G, H);
        WX = new Parameter(accelerator, name + ".W_x", G, input);
        B = new Parameter(accelerator, name + ".b", G);
        LnGain = new Parameter(accelerator, name + ".ln_gain", G);
        LnBias = new Parameter(accelerator, name + ".ln_bias", G);
        CellLnGain = new Parameter(accelerator, name + ".cell_ln_gain", H);
        CellLnBias = new Parameter(accelerator, name + ".cell_ln_bias", H);
        Parameters = [WH, WX, B, LnGain, LnBias, CellLnGain, CellLnBias];
        workspace = layer.CreateWorkspace(maxBatch, maxTime);
        hT = accelerator.Allocate1D<float>((long)maxBatch * H);
        cT = accelerator.Allocate1D<float>((long)maxBatch * H);
    }

    /// <summary>The kernels.</summary>
    public LstmLayer Kernels => layer;

    /// <inheritdoc/>
    public SweepSchedule Schedule => layer.Schedule;

    /// <summary>I.</summary>
    public int InputSize => layer.Options.InputSize;

    /// <summary>H.</summary>
    public int OutputSize => layer.Options.HiddenSize;

    /// <summary>W_h [4H,H].</summary>
    public Parameter WH { get; }
    /// <summary>W_x [4H,I].</summary>
    public Parameter WX { get; }
    /// <summary>b [4H].</summary>
    public Parameter B { get; }
    /// <summary>Gate layer-norm gains [4H].</summary>
    public Parameter LnGain { get; }
    /// <summary>Gate layer-norm shifts [4H].</summary>
    public Parameter LnBias { get; }
    /// <summary>Cell layer-norm gain [H].</summary>
    public Parameter CellLnGain { get; }
    /// <summary>Cell layer-norm shift [H].</summary>
    public Parameter CellLnBias { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>
    /// W_h and W_x uniform ±1/√fan_in, b = 0 except the forget gate's b = 1 (the usual start that lets the cell
    /// remember), layer-norm gains 1 and shifts 0.
    /// </summary>
    public void Initialize(Random rng)
    {
        int H = layer.Options.HiddenSize;
        Initializers.FanIn(WH, H, rng);
        Initializers.FanIn(WX, layer.Options.InputSize, rng);
        var bias = new float[4 * H];
        Array.Fill(bias, 1f, H, H); // forget gate: rows [H, 2H)
        B.Upload(bias);
        Initializers.UnitGainZeroShift(LnGain, LnBias);
        Initializers.UnitGainZeroShift(CellLnGain, CellLnBias);
    }

    private LstmParameters Views => new(WH.Value.View, WX.Value.View, B.Value.View, LnGain.Value.View, LnBias.Value.View,
        CellLnGain.Value.View, CellLnBias.Value.View);

    /// <inheritdoc/>
    public void Forward(AcceleratorStream stream, ArrayView<float> y, ArrayView<float> x, int batch, int time)
    {
        long bh = (long)batch * layer.Options.HiddenSize;
        layer.Forward(stream, workspace, y, hT.View.SubView(0, bh), cT.View.SubView(0, bh), x, default, default, Views, batch, time);
    }

    /// <summary>The state is [h (B·H) | c (B·H)]: 2·B·H floats.</summary>
    public long StateLength(int batch) => 2L * batch * layer.Options.HiddenSize;

    /// <inheritdoc/>
    public void Forward(AcceleratorStream stream, ArrayView<float> y, ArrayView<float> finalState, ArrayView<float> x, ArrayView<float> initialState,
        int batch, int time)
    {
        long bh = (long)batch * layer.Options.HiddenSize;
        ViewChecks.Required(initialState, nameof(initialState), 2 * bh, $"[2·B={batch}·H]", layer.Accelerator);
        ViewChecks.Required(finalState, nameof(finalState), 2 * bh, $"[2·B={batch}·H]", layer.Accelerator);
        layer.Forward(stream, workspace, y, finalState.SubView(0, bh), finalState.SubView(bh, bh), x,
            initialState.SubView(0, bh), initialState.SubView(bh, bh), Views, batch, time);
    }

    /// <inheritdoc/>
    public void Backward(AcceleratorStream stream, ArrayView<float> dx, ArrayView<float> dy, ArrayView<float> x, int batch, int time)
    {
        layer.Backward(stream, workspace, dx, default, default,
            new LstmParameterGradients(WH.Grad.View, WX.Grad.View, B.Grad.View, LnGain.Grad.View, LnBias.Grad.View,
                CellLnGain.Grad.View, CellLnBias.Grad.View),
            dy, default, default, x, Views, batch, time);
    }

    /// <summary>Frees parameters, workspace and state buffers.</summary>
    public void Dispose()
    {
        workspace.Dispose();
        hT.Dispose();
        cT.Dispose();
        foreach (var p in Parameters) p.Dispose();
        layer.Dispose();
    }
}
