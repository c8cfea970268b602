using System.Globalization;
using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.LinearFastWeights;
using FastWeights.Model.Layers;

namespace FastWeights.Model.Tasks.Retrieval;

/// <summary>
/// Architecture of the associative-retrieval model, as in the paper's reimplementations:
/// embedding (E = 100) → recurrent layer of R units → dense D = 100 ReLU → softmax over the 10 digits,
/// read at the last step. Stored in checkpoint metadata (<see cref="ToMetadata"/>). For dpfp-delta and dpfp-sum the
/// recurrent layer is a <see cref="DpfpEncoder"/> of width R with <see cref="Heads"/> heads of size R/heads, feature map
/// <see cref="FeatureMap"/> and a feed-forward of width <see cref="FeedForward"/>; the fast-weight fields (S, λ, η) are
/// unused there, and the DPFP fields are unused by the RNN kinds.
/// </summary>
public sealed record RetrievalModelConfig
{
    /// <summary>Which recurrent layer.</summary>
    public RecurrentKind Kind { get; init; } = RecurrentKind.FastWeights;
    /// <summary>R, recurrent units.</summary>
    public int Hidden { get; init; } = 50;
    /// <summary>L, stacked recurrent layers of the same kind (layer l ≥ 1 reads layer l−1's R-wide output). Default 1.</summary>
    public int Layers { get; init; } = 1;
    /// <summary>E, embedding width.</summary>
    public int Embedding { get; init; } = 100;
    /// <summary>D, width of the dense ReLU layer.</summary>
    public int DenseHidden { get; init; } = 100;
    /// <summary>S, inner steps (fast weights only).</summary>
    public int InnerSteps { get; init; } = 1;
    /// <summary>λ (fast weights only).</summary>
    public double Decay { get; init; } = 0.95;
    /// <summary>η (fast weights only).</summary>
    public double FastLearningRate { get; init; } = 0.5;
    /// <summary>N_h, the hyper cell's size (HyperLSTM only).</summary>
    public int HyperHidden { get; init; } = 16;
    /// <summary>N_z, the size of each of the twelve embeddings (HyperLSTM only).</summary>
    public int HyperEmbedding { get; init; } = 4;
    /// <summary>Vocabulary size (37: a–z, 0–9, ?).</summary>
    public int Vocabulary { get; init; } = 37;
    /// <summary>Output classes (10 digits).</summary>
    public int Classes { get; init; } = 10;
    /// <summary>T, tokens per sequence (2K + 3).</summary>
    public int SequenceLength { get; init; } = 11;
    /// <summary>Heads of the DPFP block's attention (dpfp kinds only); each has key and value size R/heads.</summary>
    public int Heads { get; init; } = 2;
    /// <summary>φ of the DPFP block's memory (dpfp kinds only).</summary>
    public FeatureMap FeatureMap { get; init; } = FeatureMap.Dpfp1;
    /// <summary>F, the DPFP block's feed-forward width (dpfp kinds only).</summary>
    public int FeedForward { get; init; } = 100;

    /// <summary>Whether <see cref="Kind"/> is one of the DPFP-block models.</summary>
    public bool IsDpfp => Kind is RecurrentKind.DpfpDelta or RecurrentKind.DpfpSum;

    /// <summary>The sequence layer this architecture asks for (what <see cref="RecurrentModules"/> builds).</summary>
    public SequenceLayerConfig SequenceLayer => new()
    {
        Kind = Kind, Hidden = Hidden, Layers = Layers, InnerSteps = InnerSteps, Decay = Decay, FastLearningRate = FastLearningRate,
        HyperHidden = HyperHidden, HyperEmbedding = HyperEmbedding, Heads = Heads, FeatureMap = FeatureMap, FeedForward = FeedForward,
    };

    /// <summary>Checks every field; throws naming the first bad one.</summary>
    public void Validate()
    {
        void Positive(int v, string name) { if (v < 1) throw new ArgumentOutOfRangeException(name, v, $"{name} must be ≥ 1."); }
        if (!Enum.IsDefined(Kind)) throw new ArgumentOutOfRangeException(nameof(Kind), Kind, "Unknown model kind.");
        Positive(Hidden, nameof(Hidden)); Positive(Layers, nameof(Layers)); Positive(Embedding, nameof(Embedding)); Positive(DenseHidden, nameof(DenseHidden));
        Positive(InnerSteps, nameof(InnerSteps)); Positive(Vocabulary, nameof(Vocabulary)); Positive(Classes, nameof(Classes));
        Positive(SequenceLength, nameof(SequenceLength));
        Positive(HyperHidden, nameof(HyperHidden)); Positive(HyperEmbedding, nameof(HyperEmbedding));
        Positive(Heads, nameof(Heads)); Positive(FeedForward, nameof(FeedForward));
        if (!Enum.IsDefined(FeatureMap)) throw new ArgumentOutOfRangeException(nameof(FeatureMap), FeatureMap, "Unknown feature map.");
        if (IsDpfp && Hidden % Heads != 0)
            throw new ArgumentOutOfRangeException(nameof(Heads), Heads, $"Heads must divide Hidden (R = {Hidden}) for the DPFP block.");
        FastWeightDecay.Check(Decay, nameof(Decay));
        if (!(FastLearningRate >= 0 && double.IsFinite(FastLearningRate)))
            throw new ArgumentOutOfRangeException(nameof(FastLearningRate), FastLearningRate, "FastLearningRate must be finite and ≥ 0.");
    }

    /// <summary>The model name used on the command line: fw, rnn-ln, control, lstm-ln, hyperlstm, dpfp-delta, dpfp-sum, gru-ln.</summary>
    public static string KindName(RecurrentKind kind) => kind switch
    {
        RecurrentKind.FastWeights => "fw",
        RecurrentKind.LayerNormRnn => "rnn-ln",
        RecurrentKind.Control => "control",
        RecurrentKind.Lstm => "lstm-ln",
        RecurrentKind.HyperLstm => "hyperlstm",
        RecurrentKind.DpfpDelta => "dpfp-delta",
        RecurrentKind.DpfpSum => "dpfp-sum",
        RecurrentKind.GruLn => "gru-ln",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Parses fw | rnn-ln | control | lstm-ln | hyperlstm | dpfp-delta | dpfp-sum | gru-ln.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static RecurrentKind ParseKind(string name) => name switch
    {
        "fw" => RecurrentKind.FastWeights,
        "rnn-ln" => RecurrentKind.LayerNormRnn,
        "control" => RecurrentKind.Control,
        "lstm-ln" => RecurrentKind.Lstm,
        "hyperlstm" => RecurrentKind.HyperLstm,
        "dpfp-delta" => RecurrentKind.DpfpDelta,
        "dpfp-sum" => RecurrentKind.DpfpSum,
        "gru-ln" => RecurrentKind.GruLn,
        _ => throw new ArgumentException($"unknown model '{name}'; expected fw, rnn-ln, control, lstm-ln, hyperlstm, dpfp-delta, dpfp-sum or gru-ln.", nameof(name)),
    };

    /// <summary>String metadata for checkpoints (prefix <c>arch.</c>).</summary>
    public Dictionary<string, string> ToMetadata() => new()
    {
        ["arch.kind"] = KindName(Kind),
        ["arch.hidden"] = Hidden.ToString(CultureInfo.InvariantCulture),
        ["arch.layers"] = Layers.ToString(CultureInfo.InvariantCulture),
        ["arch.embedding"] = Embedding.ToString(CultureInfo.InvariantCulture),
        ["arch.dense_hidden"] = DenseHidden.ToString(CultureInfo.InvariantCulture),
        ["arch.inner_steps"] = InnerSteps.ToString(CultureInfo.InvariantCulture),
        ["arch.decay"] = Decay.ToString("R", CultureInfo.InvariantCulture),
        ["arch.fast_lr"] = FastLearningRate.ToString("R", CultureInfo.InvariantCulture),
        ["arch.hyper_hidden"] = HyperHidden.ToString(CultureInfo.InvariantCulture),
        ["arch.hyper_embedding"] = HyperEmbedding.ToString(CultureInfo.InvariantCulture),
        ["arch.vocabulary"] = Vocabulary.ToString(CultureInfo.InvariantCulture),
        ["arch.classes"] = Classes.ToString(CultureInfo.InvariantCulture),
        ["arch.sequence_length"] = SequenceLength.ToString(CultureInfo.InvariantCulture),
        ["arch.heads"] = Heads.ToString(CultureInfo.InvariantCulture),
        ["arch.feature_map"] = MapName(FeatureMap),
        ["arch.feed_forward"] = FeedForward.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The metadata name of a feature map: identity, elu_plus_one, dpfp1, dpfp2, dpfp3 (as `layer --kind dpfp`).</summary>
    public static string MapName(FeatureMap map) => map switch
    {
        FeatureMap.Identity => "identity",
        FeatureMap.EluPlusOne => "elu_plus_one",
        FeatureMap.Dpfp1 => "dpfp1",
        FeatureMap.Dpfp2 => "dpfp2",
        FeatureMap.Dpfp3 => "dpfp3",
        _ => throw new ArgumentOutOfRangeException(nameof(map), map, "Unknown feature map."),
    };

    /// <summary>Parses what <see cref="MapName"/> writes.</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    public static FeatureMap ParseMap(string name)
    {
        foreach (var map in Enum.GetValues<FeatureMap>())
            if (MapName(map) == name) return map;
        throw new ArgumentException($"unknown feature map '{name}'; expected identity, elu_plus_one, dpfp1, dpfp2 or dpfp3.", nameof(name));
    }

    /// <summary>
    /// Reads what <see cref="ToMetadata"/> wrote. The DPFP keys (arch.heads, arch.feature_map, arch.feed_forward) were
    /// added later: when absent (an older checkpoint) they take their defaults.
    /// </summary>
    /// <exception cref="FormatException">A key is missing or does not parse (the message names it).</exception>
    public static RetrievalModelConfig FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        string Get(string key) => metadata.TryGetValue(key, out var v) ? v : throw new FormatException($"checkpoint metadata lacks '{key}'.");
        int Int(string key) => int.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"checkpoint metadata '{key}' = '{Get(key)}' is not an integer.");
        // Checkpoints written before the HyperLSTM (and stacking) existed lack those sizes: they take the defaults.
        int IntOr(string key, int fallback) => metadata.ContainsKey(key) ? Int(key) : fallback;
        double Dbl(string key) => double.TryParse(Get(key), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"checkpoint metadata '{key}' = '{Get(key)}' is not a number.");
        RecurrentKind kind;
        try { kind = ParseKind(Get("arch.kind")); }
        catch (ArgumentException e) { throw new FormatException($"checkpoint metadata 'arch.kind': {e.Message}"); }
        var defaults = new RetrievalModelConfig();
        FeatureMap map = defaults.FeatureMap;
        if (metadata.TryGetValue("arch.feature_map", out var mapName))
        {
            try { map = ParseMap(mapName); }
            catch (ArgumentException e) { throw new FormatException($"checkpoint metadata 'arch.feature_map': {e.Message}"); }
        }
        var config = new RetrievalModelConfig
        {
            Kind = kind, Hidden = Int("arch.hidden"), Layers = IntOr("arch.layers", 1), Embedding = Int("arch.embedding"), DenseHidden = Int("arch.dense_hidden"),
            InnerSteps = Int("arch.inner_steps"), Decay = Dbl("arch.decay"), FastLearningRate = Dbl("arch.fast_lr"),
            HyperHidden = IntOr("arch.hyper_hidden", 16), HyperEmbedding = IntOr("arch.hyper_embedding", 4),
            Vocabulary = Int("arch.vocabulary"), Classes = Int("arch.classes"), SequenceLength = Int("arch.sequence_length"),
            Heads = metadata.ContainsKey("arch.heads") ? Int("arch.heads") : defaults.Heads,
            FeatureMap = map,
            FeedForward = metadata.ContainsKey("arch.feed_forward") ? Int("arch.feed_forward") : defaults.FeedForward,
        };
        config.Validate();
        return config;
    }
}
