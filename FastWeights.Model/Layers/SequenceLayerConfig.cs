using FastWeights.Kernels.LinearFastWeights;

namespace FastWeights.Model.Layers;

/// <summary>
/// What <see cref="RecurrentModules"/> builds: the kind of sequence layer, its width R, how many are stacked, and the
/// sizes only some kinds read (the fast-weight S, λ, η; the HyperLSTM's N_h, N_z; the DPFP block's heads, feature map and
/// feed-forward). A task's config produces one (e.g. <c>RetrievalModelConfig.SequenceLayer</c>); the defaults are the
/// retrieval model's.
/// </summary>
public sealed record SequenceLayerConfig
{
    /// <summary>Which sequence layer.</summary>
    public RecurrentKind Kind { get; init; } = RecurrentKind.FastWeights;
    /// <summary>R, the layer's width (recurrent units, or the DPFP block's width).</summary>
    public int Hidden { get; init; } = 50;
    /// <summary>L, stacked layers of the same kind (layer l ≥ 1 reads layer l−1's R-wide output).</summary>
    public int Layers { get; init; } = 1;
    /// <summary>S, inner steps (fast weights only).</summary>
    public int InnerSteps { get; init; } = 1;
    /// <summary>λ, the fast-weight decay (fast weights only).</summary>
    public double Decay { get; init; } = 0.95;
    /// <summary>η (fast weights only).</summary>
    public double FastLearningRate { get; init; } = 0.5;
    /// <summary>N_h, the hyper cell's size (HyperLSTM only).</summary>
    public int HyperHidden { get; init; } = 16;
    /// <summary>N_z, the size of each of the twelve embeddings (HyperLSTM only).</summary>
    public int HyperEmbedding { get; init; } = 4;
    /// <summary>Heads of the DPFP block's attention (dpfp kinds only); each has key and value size R/heads.</summary>
    public int Heads { get; init; } = 2;
    /// <summary>φ of the DPFP block's memory (dpfp kinds only).</summary>
    public FeatureMap FeatureMap { get; init; } = FeatureMap.Dpfp1;
    /// <summary>F, the DPFP block's feed-forward width (dpfp kinds only).</summary>
    public int FeedForward { get; init; } = 100;

    /// <summary>Whether <see cref="Kind"/> is one of the DPFP-block kinds.</summary>
    public bool IsDpfp => Kind is RecurrentKind.DpfpDelta or RecurrentKind.DpfpSum;

    /// <summary>The DPFP block's attention options (width R, heads, R/heads per head, feature map, rule of the kind).</summary>
    /// <exception cref="InvalidOperationException">The kind is not a DPFP kind.</exception>
    public LinearFastWeightSequenceOptions AttentionOptions => IsDpfp
        ? new LinearFastWeightSequenceOptions
        {
            Width = Hidden, Heads = Heads, KeySize = Hidden / Heads, ValueSize = Hidden / Heads, FeatureMap = FeatureMap,
            Rule = Kind == RecurrentKind.DpfpDelta ? UpdateRule.Delta : UpdateRule.Sum,
        }
        : throw new InvalidOperationException($"{Kind} has no DPFP block.");
}
