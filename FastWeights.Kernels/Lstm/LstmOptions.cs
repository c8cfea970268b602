using FastWeights.Kernels.Core;

namespace FastWeights.Kernels.Lstm;

/// <summary>
/// Sizes and settings of a layer-normalised LSTM (<see cref="LstmLayer"/>, docs/lstm.md). Immutable once a
/// layer is built from it.
/// </summary>
public sealed record LstmOptions
{
    /// <summary>I, the width of each input vector x_t. Must be ≥ 1.</summary>
    public required int InputSize { get; init; }

    /// <summary>H, the hidden and cell size (the gate weights are 4H×H and 4H×I). Must be ≥ 1.</summary>
    public required int HiddenSize { get; init; }

    /// <summary>ε of every layer norm (the four gates and the cell), finite and &gt; 0. Default 1e-5.</summary>
    public double LayerNormEpsilon { get; init; } = 1e-5;

    /// <summary>The thread schedule; <see cref="SweepSchedule.Auto"/> picks from the accelerator (as for the fast-weight layer).</summary>
    public SweepSchedule Schedule { get; init; } = SweepSchedule.Auto;

    /// <summary>
    /// When true, a forward first scans x, h0, c0 and the parameters (a backward: dy, dhT, dcT) for NaN/±Inf on the
    /// device and throws <see cref="ArgumentException"/> naming the offending argument. This waits for the stream
    /// (one host synchronisation per call), so it is off by default.
    /// </summary>
    public bool CheckFinite { get; init; }

    /// <summary>Checks every option; throws an exception naming the first invalid one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size or ε out of range (NaN and ±Inf included), or an unknown schedule.</exception>
    public void Validate()
    {
        if (InputSize < 1) throw new ArgumentOutOfRangeException(nameof(InputSize), InputSize, "InputSize (I) must be ≥ 1.");
        if (HiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(HiddenSize), HiddenSize, "HiddenSize (H) must be ≥ 1.");
        if (!(LayerNormEpsilon > 0.0 && double.IsFinite(LayerNormEpsilon)))
            throw new ArgumentOutOfRangeException(nameof(LayerNormEpsilon), LayerNormEpsilon, "LayerNormEpsilon (ε) must be finite and > 0.");
        if (!Enum.IsDefined(Schedule)) throw new ArgumentOutOfRangeException(nameof(Schedule), Schedule, "Unknown schedule.");
        // The kernels index 4H×H and 4H×I matrices with 32-bit offsets.
        if ((long)HiddenSize * HiddenSize * 4 > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(HiddenSize), HiddenSize, "HiddenSize is too large: 4H² must fit a 32-bit index.");
        if ((long)HiddenSize * InputSize * 4 > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(InputSize), InputSize, "InputSize is too large: 4H·I must fit a 32-bit index.");
    }
}
