namespace FastWeights.Kernels.HyperLstm;

/// <summary>
/// Sizes and settings of a HyperLSTM layer (<see cref="HyperLstmLayer"/>, Ha, Dai, Le 2016; docs/lstm.md §8).
/// Immutable once a layer is built from it.
/// </summary>
/// <remarks>H (<see cref="RecurrentCellOptions.HiddenSize"/>) is the main cell's hidden and cell size.</remarks>
public sealed record HyperLstmOptions : RecurrentCellOptions
{
    /// <summary>N_h, the hyper cell's hidden and cell size (the paper uses 64–128 beside H = 1000–2000). Must be ≥ 1.</summary>
    public required int HyperHiddenSize { get; init; }

    /// <summary>N_z, the size of each of the twelve embeddings z (the paper uses 4–16). Must be ≥ 1.</summary>
    public required int EmbeddingSize { get; init; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">A size or ε out of range (NaN and ±Inf included), or an unknown schedule.</exception>
    public override void Validate()
    {
        OptionChecks.AtLeastOne(InputSize, "I");
        OptionChecks.AtLeastOne(HiddenSize, "H");
        OptionChecks.AtLeastOne(HyperHiddenSize, "N_h");
        OptionChecks.AtLeastOne(EmbeddingSize, "N_z");
        OptionChecks.PositiveFinite(LayerNormEpsilon, "ε");
        OptionChecks.Known(Schedule, "schedule");
        // The kernels index every weight matrix with 32-bit offsets.
        const long limit = int.MaxValue;
        long h = HiddenSize, n = HyperHiddenSize, z = EmbeddingSize, i = InputSize;
        OptionChecks.FitsIndex(4 * h * h > limit || 12 * h * z > limit, HiddenSize, nameof(HiddenSize), "4H² and 12H·N_z");
        OptionChecks.FitsIndex(4 * n * Math.Max(n, h) > limit || 12 * z * n > limit, HyperHiddenSize, nameof(HyperHiddenSize),
            "4N_h·max(N_h, H) and 12N_z·N_h");
        OptionChecks.FitsIndex(4 * Math.Max(h, n) * i > limit, InputSize, nameof(InputSize), "4·max(H, N_h)·I");
    }
}
