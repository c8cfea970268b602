namespace FastWeights.Model.Layers;

/// <summary>
/// A sequence layer whose recurrent state can be handed in and handed back: (h, A) for the fast-weight RNN kinds, (h, c)
/// for the LSTM, (h, c, ĥ, ĉ) for the HyperLSTM, (previous input, W, z) for the DPFP encoder, every layer's state one after
/// another for a stack. Passing one call's final state as the next call's initial state continues the sequences exactly,
/// which is what truncated backpropagation through time (a language model's windows) and streaming inference need.
/// </summary>
/// <remarks>
/// <para>The state is one flat float32 view of <see cref="StateLength"/>(B) elements; its layout is the layer's own (the
/// caller only stores it, zeroes it to start afresh, and hands it back). All zeros is the empty state every
/// <see cref="ISequenceLayer.Forward"/> starts from.</para>
/// <para>The gradient does not cross the boundary: <see cref="ISequenceLayer.Backward"/> after a stateful forward gives the
/// gradients of the loss within the window, with the initial state held constant and no gradient arriving through the
/// final state. The initial state view must keep its values until that backward has run (some layers read it again);
/// the final state must not overlap it.</para>
/// </remarks>
public interface IStatefulSequenceLayer : ISequenceLayer
{
    /// <summary>Floats of the state of <paramref name="batch"/> sequences.</summary>
    /// <param name="batch">B ≥ 1.</param>
    long StateLength(int batch);

    /// <summary>y [B,T,O] from x [B,T,I], starting from <paramref name="initialState"/> and writing <paramref name="finalState"/>.</summary>
    /// <param name="stream">Stream of the layer's accelerator.</param>
    /// <param name="y">Out [B,T,O]. Overwritten.</param>
    /// <param name="finalState">Out [<see cref="StateLength"/>(B)]. Overwritten. Must not overlap initialState.</param>
    /// <param name="x">In [B,T,I].</param>
    /// <param name="initialState">In [<see cref="StateLength"/>(B)]; all zeros is the empty state.</param>
    /// <param name="batch">B, at most the layer's capacity.</param>
    /// <param name="time">T, at most the layer's capacity.</param>
    /// <exception cref="ArgumentException">A state view has the wrong length (the message names it).</exception>
    void Forward(AcceleratorStream stream, ArrayView<float> y, ArrayView<float> finalState, ArrayView<float> x, ArrayView<float> initialState,
        int batch, int time);
}
