using FastWeights.Kernels.Core;

namespace FastWeights.Kernels.HyperLstm;

/// <summary>
/// Sizes and settings of a HyperLSTM layer (<see cref="HyperLstmLayer"/>, Ha, Dai, Le 2016; docs/lstm.md §8).
/// Immutable once a layer is built from it.
/// </summary>
public sealed record HyperLstmOptions
{
    /// <summary>I, the width of each input vector x_t. Must be ≥ 1.</summary>
    public required int InputSize { get; init; }

    /// <summary>H, the main cell's hidden and cell size. Must be ≥ 1.</summary>
    public required int HiddenSize { get; init; }

    /// <summary>N_h, the hyper cell's hidden and cell size (the paper uses 64–128 beside H = 1000–2000). Must be ≥ 1.</summary>
    public required int HyperHiddenSize { get; init; }

    /// <summary>N_z, the size of each of the twelve embeddings z (the paper uses 4–16). Must be ≥ 1.</summary>
    public required int EmbeddingSize { get; init; }

    /// <summary>ε of every layer norm (both cells' gates and cells), finite and &gt; 0. Default 1e-5.</summary>
    public double LayerNormEpsilon { get; init; } = 1e-5;

    /// <summary>The thread schedule; <see cref="SweepSchedule.Auto"/> picks from the accelerator.</summary>
    public SweepSchedule Schedule { get; init; } = SweepSchedule.Auto;

    /// <summary>
    /// When true, a forward first scans x, the initial state and the parameters (a backward: dy and the final-state
    /// gradients) for NaN/±Inf on the device and throws <see cref="ArgumentException"/> naming the offending argument.
    /// This waits for the stream (one host synchronisation per call), so it is off by default.
    /// </summary>
    public bool CheckFinite { get; init; }

    /// <summary>Checks every option; throws an exception naming the first invalid one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size or ε out of range (NaN and ±Inf included), or an unknown schedule.</exception>
    public void Validate()
    {
        if (InputSize < 1) throw new ArgumentOutOfRangeException(nameof(InputSize), InputSize, "InputSize (I) must be ≥ 1.");
        if (HiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(HiddenSize), HiddenSize, "HiddenSize (H) must be ≥ 1.");
        if (HyperHiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(HyperHiddenSize), HyperHiddenSize, "HyperHiddenSize (N_h) must be ≥ 1.");
        if (EmbeddingSize < 1) throw new ArgumentOutOfRangeException(nameof(EmbeddingSize), EmbeddingSize, "EmbeddingSize (N_z) must be ≥ 1.");
        if (!(LayerNormEpsilon > 0.0 && double.IsFinite(LayerNormEpsilon)))
            throw new ArgumentOutOfRangeException(nameof(LayerNormEpsilon), LayerNormEpsilon, "LayerNormEpsilon (ε) must be finite and > 0.");
        if (!Enum.IsDefined(Schedule)) throw new ArgumentOutOfRangeException(nameof(Schedule), Schedule, "Unknown schedule.");
        // The kernels index every weight matrix with 32-bit offsets.
        const long limit = int.MaxValue;
        long h = HiddenSize, n = HyperHiddenSize, z = EmbeddingSize, i = InputSize;
        if (4 * h * h > limit || 12 * h * z > limit) throw new ArgumentOutOfRangeException(nameof(HiddenSize), HiddenSize, "HiddenSize is too large: 4H² and 12H·N_z must fit a 32-bit index.");
        if (4 * n * Math.Max(n, h) > limit || 12 * z * n > limit)
            throw new ArgumentOutOfRangeException(nameof(HyperHiddenSize), HyperHiddenSize, "HyperHiddenSize is too large: 4N_h·max(N_h, H) and 12N_z·N_h must fit a 32-bit index.");
        if (4 * Math.Max(h, n) * i > limit) throw new ArgumentOutOfRangeException(nameof(InputSize), InputSize, "InputSize is too large: 4·max(H, N_h)·I must fit a 32-bit index.");
    }
}
