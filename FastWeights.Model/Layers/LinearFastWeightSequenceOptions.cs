using FastWeights.Kernels.LinearFastWeights;

namespace FastWeights.Model.Layers;

/// <summary>
/// Sizes and choices of a <see cref="LinearFastWeightSequenceLayer"/> module: model width D, H heads with key size d and
/// value size m, the feature map and the update rule of the fast-weight memory. Immutable.
/// </summary>
public sealed record LinearFastWeightSequenceOptions
{
    /// <summary>D, the width of the module's input and output. Must be ≥ 1.</summary>
    public required int Width { get; init; }

    /// <summary>H, the number of heads (each with its own memory). Must be ≥ 1.</summary>
    public required int Heads { get; init; }

    /// <summary>d, the key and query size per head. Must be ≥ 1.</summary>
    public required int KeySize { get; init; }

    /// <summary>m, the value size per head. Must be ≥ 1.</summary>
    public required int ValueSize { get; init; }

    /// <summary>φ. Default <see cref="FeatureMap.Dpfp1"/>.</summary>
    public FeatureMap FeatureMap { get; init; } = FeatureMap.Dpfp1;

    /// <summary>The write rule. Default <see cref="UpdateRule.Delta"/> (then a β projection D → H is added).</summary>
    public UpdateRule Rule { get; init; } = UpdateRule.Delta;

    /// <summary>The options of the fast-weight memory: normalised as in the paper (sum rule: z; delta rule: φ/Σφ).</summary>
    public LinearFastWeightOptions MemoryOptions => new()
    {
        Heads = Heads, KeySize = KeySize, ValueSize = ValueSize, FeatureMap = FeatureMap, Rule = Rule, Normalize = true,
    };

    /// <summary>Checks every option; throws naming the first bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or an enum value is unknown.</exception>
    public void Validate()
    {
        if (Width < 1) throw new ArgumentOutOfRangeException(nameof(Width), Width, "Width (D) must be ≥ 1.");
        MemoryOptions.Validate();
    }
}
