using FastWeights.Kernels.Core;
using FastWeights.Model.Parameters;

namespace FastWeights.Model.Layers;

/// <summary>
/// The sequence layer of a model: [B,T,I] → [B,T,O], every sequence starting from empty state, with a backward that
/// overwrites its parameter gradients and dx. Implemented by <see cref="FastWeightRnnSequenceLayer"/> (fw, rnn-ln, control),
/// <see cref="LstmSequenceLayer"/> (lstm-ln), <see cref="GruSequenceLayer"/> (gru-ln), <see cref="HyperLstmSequenceLayer"/> (hyperlstm), <see cref="DpfpEncoder"/>
/// (dpfp-delta, dpfp-sum) and <see cref="RecurrentStack"/> (L of one kind); <see cref="RecurrentModules.Create"/> picks one,
/// so a model swaps one for another without other changes.
/// </summary>
public interface ISequenceLayer : IModule, IDisposable
{
    /// <summary>I, the width of x.</summary>
    int InputSize { get; }

    /// <summary>O, the width of y.</summary>
    int OutputSize { get; }

    /// <summary>The resolved thread schedule of the layer's sequential kernels (for run logs).</summary>
    SweepSchedule Schedule { get; }

    /// <summary>Initial parameter values, deterministic from <paramref name="rng"/>.</summary>
    /// <param name="rng">Source of the values.</param>
    void Initialize(Random rng);

    /// <summary>y [B,T,O] from x [B,T,I].</summary>
    /// <param name="stream">Stream of the layer's accelerator.</param>
    /// <param name="y">Out [B,T,O]. Overwritten.</param>
    /// <param name="x">In [B,T,I].</param>
    /// <param name="batch">B, at most the layer's capacity.</param>
    /// <param name="time">T, at most the layer's capacity.</param>
    void Forward(AcceleratorStream stream, ArrayView<float> y, ArrayView<float> x, int batch, int time);

    /// <summary>Parameter gradients (overwritten) and dx [B,T,I] (overwritten) from dy [B,T,O], for the last forward of x.</summary>
    /// <param name="stream">Stream of the layer's accelerator.</param>
    /// <param name="dx">Out [B,T,I], or empty when not wanted. Overwritten.</param>
    /// <param name="dy">In [B,T,O].</param>
    /// <param name="x">In [B,T,I]: the last forward's x.</param>
    /// <param name="batch">B of the last forward.</param>
    /// <param name="time">T of the last forward.</param>
    void Backward(AcceleratorStream stream, ArrayView<float> dx, ArrayView<float> dy, ArrayView<float> x, int batch, int time);
}
