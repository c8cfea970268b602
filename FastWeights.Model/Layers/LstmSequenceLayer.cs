using FastWeights.Kernels.Lstm;
using FastWeights.Model.Parameters;

namespace FastWeights.Model.Layers;

/// <summary>
/// The LSTM-LN baseline as a model layer: the <see cref="LstmLayer"/> kernels with parameters
/// <c>name.W_h [4H,H]</c>, <c>name.W_x [4H,I]</c>, <c>name.b [4H]</c>, <c>name.ln_gain</c>, <c>name.ln_bias [4H]</c>,
/// <c>name.cell_ln_gain</c>, <c>name.cell_ln_bias [H]</c> (gates i, f, g, o), a workspace and zero initial state, or a
/// carried one (the state is [h (B·H) | c (B·H)]). <see cref="GatedCellSequenceLayer{TLayer, TOptions, TWorkspace}.Initialize"/>
/// starts b = 0 except the forget gate's b = 1 (the usual start that lets the cell remember), layer-norm gains 1 and shifts 0.
/// </summary>
public sealed class LstmSequenceLayer : GatedCellSequenceLayer<LstmLayer, LstmOptions, LstmWorkspace>
{
    /// <summary>Builds the layer for batches of up to <paramref name="maxBatch"/> sequences of up to <paramref name="maxTime"/> steps.</summary>
    /// <param name="accelerator">Device.</param>
    /// <param name="name">Module name (parameter prefix).</param>
    /// <param name="input">I.</param>
    /// <param name="hidden">H.</param>
    /// <param name="maxBatch">Largest B.</param>
    /// <param name="maxTime">Largest T.</param>
    public LstmSequenceLayer(Accelerator accelerator, string name, int input, int hidden, int maxBatch, int maxTime)
        : base(accelerator, new LstmLayer(accelerator, new LstmOptions { InputSize = input, HiddenSize = hidden }), name,
            gates: 4, stateVectors: 2, maxBatch, maxTime,
            ("b", 4 * hidden), ("ln_gain", 4 * hidden), ("ln_bias", 4 * hidden), ("cell_ln_gain", hidden), ("cell_ln_bias", hidden))
    {
    }

    /// <summary>b [4H].</summary>
    public Parameter B => Parameters[2];
    /// <summary>Gate layer-norm gains [4H].</summary>
    public Parameter LnGain => Parameters[3];
    /// <summary>Gate layer-norm shifts [4H].</summary>
    public Parameter LnBias => Parameters[4];
    /// <summary>Cell layer-norm gain [H].</summary>
    public Parameter CellLnGain => Parameters[5];
    /// <summary>Cell layer-norm shift [H].</summary>
    public Parameter CellLnBias => Parameters[6];

    /// <summary>b = 0 except the forget gate's b = 1, layer-norm gains 1 and shifts 0.</summary>
    private protected override void InitializeCell()
    {
        int H = Kernels.Options.HiddenSize;
        var bias = new float[4 * H];
        Array.Fill(bias, 1f, H, H); // forget gate: rows [H, 2H)
        B.Upload(bias);
        Initializers.UnitGainZeroShift(LnGain, LnBias);
        Initializers.UnitGainZeroShift(CellLnGain, CellLnBias);
    }

    private LstmParameters Views => new(WH.Value.View, WX.Value.View, B.Value.View, LnGain.Value.View, LnBias.Value.View,
        CellLnGain.Value.View, CellLnBias.Value.View);

    private protected override void RunForward(AcceleratorStream stream, LstmWorkspace workspace, ArrayView<float> y, ArrayView<float>[] finalStates,
        ArrayView<float> x, ArrayView<float>[] initialStates, int batch, int time) =>
        Kernels.Forward(stream, workspace, y, finalStates[0], finalStates[1], x, initialStates[0], initialStates[1], Views, batch, time);

    private protected override void RunBackward(AcceleratorStream stream, LstmWorkspace workspace, ArrayView<float> dx, ArrayView<float> dy,
        ArrayView<float> x, int batch, int time) =>
        Kernels.Backward(stream, workspace, dx, default, default,
            new LstmParameterGradients(WH.Grad.View, WX.Grad.View, B.Grad.View, LnGain.Grad.View, LnBias.Grad.View,
                CellLnGain.Grad.View, CellLnBias.Grad.View),
            dy, default, default, x, Views, batch, time);
}
