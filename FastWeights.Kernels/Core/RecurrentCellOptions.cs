using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Kernels.Core;

/// <summary>
/// What the options of every layer-normalised recurrent cell hold (<see cref="Lstm.LstmOptions"/>,
/// <see cref="Gru.GruOptions"/>, <see cref="HyperLstm.HyperLstmOptions"/>): the input and hidden sizes, ε of the layer
/// norms, the thread schedule and the finite check. Immutable once a layer is built from them.
/// </summary>
public abstract record RecurrentCellOptions
{
    /// <summary>I, the width of each input vector x_t. Must be ≥ 1.</summary>
    public required int InputSize { get; init; }

    /// <summary>H, the hidden size (and cell size, where the cell has one). Must be ≥ 1.</summary>
    public required int HiddenSize { get; init; }

    /// <summary>ε of every layer norm of the cell, finite and &gt; 0. Default 1e-5.</summary>
    public double LayerNormEpsilon { get; init; } = 1e-5;

    /// <summary>The thread schedule; <see cref="SweepSchedule.Auto"/> picks from the accelerator (as for the fast-weight layer).</summary>
    public SweepSchedule Schedule { get; init; } = SweepSchedule.Auto;

    /// <summary>
    /// When true, a forward first scans x, the initial state and the parameters (a backward: dy and the final-state
    /// gradients) for NaN/±Inf on the device and throws <see cref="ArgumentException"/> naming the offending argument.
    /// This waits for the stream (one host synchronisation per call), so it is off by default.
    /// </summary>
    public bool CheckFinite { get; init; }

    /// <summary>Checks every option; throws an exception naming the first invalid one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size or ε out of range (NaN and ±Inf included), or an unknown schedule.</exception>
    public abstract void Validate();
}
