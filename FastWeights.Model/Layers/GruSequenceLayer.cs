using FastWeights.Kernels.Gru;
using FastWeights.Model.Parameters;

namespace FastWeights.Model.Layers;

/// <summary>
/// The GRU-LN baseline as a model layer: the <see cref="GruLayer"/> kernels with parameters
/// <c>name.W_h [3H,H]</c>, <c>name.W_x [3H,I]</c>, <c>name.input_ln_gain</c>, <c>name.input_ln_bias</c>,
/// <c>name.recurrent_ln_gain</c>, <c>name.recurrent_ln_bias [3H]</c> (rows r, u, n; docs/gru.md), a workspace and
/// zero initial state, or a carried one (<see cref="IStatefulSequenceLayer"/>: the state is h).
/// <see cref="GatedCellSequenceLayer{TLayer, TOptions, TWorkspace}.Initialize"/> starts the layer-norm gains at 1 and
/// shifts at 0 (as the TensorFlow reimplementations start).
/// </summary>
public sealed class GruSequenceLayer : GatedCellSequenceLayer<GruLayer, GruOptions, GruWorkspace>
{
    /// <summary>Builds the layer for batches of up to <paramref name="maxBatch"/> sequences of up to <paramref name="maxTime"/> steps.</summary>
    /// <param name="accelerator">Device.</param>
    /// <param name="name">Module name (parameter prefix).</param>
    /// <param name="input">I.</param>
    /// <param name="hidden">H.</param>
    /// <param name="maxBatch">Largest B.</param>
    /// <param name="maxTime">Largest T.</param>
    public GruSequenceLayer(Accelerator accelerator, string name, int input, int hidden, int maxBatch, int maxTime)
        : base(accelerator, new GruLayer(accelerator, new GruOptions { InputSize = input, HiddenSize = hidden }), name,
            gates: 3, stateVectors: 1, maxBatch, maxTime,
            ("input_ln_gain", 3 * hidden), ("input_ln_bias", 3 * hidden), ("recurrent_ln_gain", 3 * hidden), ("recurrent_ln_bias", 3 * hidden))
    {
    }

    /// <summary>Input-projection layer-norm gains γ_x [3H].</summary>
    public Parameter InputLnGain => Parameters[2];
    /// <summary>Input-projection layer-norm shifts β_x [3H] (with β_h, the biases).</summary>
    public Parameter InputLnBias => Parameters[3];
    /// <summary>Recurrent-projection layer-norm gains γ_h [3H].</summary>
    public Parameter RecurrentLnGain => Parameters[4];
    /// <summary>Recurrent-projection layer-norm shifts β_h [3H].</summary>
    public Parameter RecurrentLnBias => Parameters[5];

    /// <summary>Layer-norm gains 1 and shifts 0.</summary>
    private protected override void InitializeCell()
    {
        Initializers.UnitGainZeroShift(InputLnGain, InputLnBias);
        Initializers.UnitGainZeroShift(RecurrentLnGain, RecurrentLnBias);
    }

    private GruParameters Views => new(WH.Value.View, WX.Value.View, InputLnGain.Value.View, InputLnBias.Value.View,
        RecurrentLnGain.Value.View, RecurrentLnBias.Value.View);

    private protected override void RunForward(AcceleratorStream stream, GruWorkspace workspace, ArrayView<float> y, ArrayView<float>[] finalStates,
        ArrayView<float> x, ArrayView<float>[] initialStates, int batch, int time) =>
        Kernels.Forward(stream, workspace, y, finalStates[0], x, initialStates[0], Views, batch, time);

    private protected override void RunBackward(AcceleratorStream stream, GruWorkspace workspace, ArrayView<float> dx, ArrayView<float> dy,
        ArrayView<float> x, int batch, int time) =>
        Kernels.Backward(stream, workspace, dx, default,
            new GruParameterGradients(WH.Grad.View, WX.Grad.View, InputLnGain.Grad.View, InputLnBias.Grad.View,
                RecurrentLnGain.Grad.View, RecurrentLnBias.Grad.View),
            dy, default, x, Views, batch, time);
}
