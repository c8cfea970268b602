namespace FastWeights.Model.Layers;

/// <summary>Builds the sequence layer of a <see cref="SequenceLayerConfig"/>: one place maps each <see cref="RecurrentKind"/> to its kernels.</summary>
public static class RecurrentModules
{
    /// <summary>
    /// The recurrent layer for <paramref name="config"/> reading <paramref name="input"/>-wide vectors: one layer named
    /// <paramref name="name"/>, or with <see cref="SequenceLayerConfig.Layers"/> = L ≥ 2 a <see cref="RecurrentStack"/> of L
    /// layers of the same kind named <c>name.0</c> … <c>name.(L−1)</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An unknown kind.</exception>
    public static ISequenceLayer Create(Accelerator accelerator, string name, SequenceLayerConfig config, int input, int maxBatch, int maxTime) =>
        config.Layers <= 1
            ? CreateLayer(accelerator, name, config, input, maxBatch, maxTime)
            : new RecurrentStack(accelerator, name, config.Layers, input, config.Hidden, maxBatch, maxTime,
                (layerName, layerInput) => CreateLayer(accelerator, layerName, config, layerInput, maxBatch, maxTime));

    private static ISequenceLayer CreateLayer(Accelerator accelerator, string name, SequenceLayerConfig config, int input, int maxBatch, int maxTime) =>
        config.Kind switch
        {
            RecurrentKind.FastWeights or RecurrentKind.LayerNormRnn or RecurrentKind.Control => new FastWeightRnnSequenceLayer(accelerator, name,
                FastWeightRnnSequenceLayer.OptionsFor(config.Kind, input, config.Hidden, config.InnerSteps, config.Decay, config.FastLearningRate), maxBatch, maxTime),
            RecurrentKind.Lstm => new LstmSequenceLayer(accelerator, name, input, config.Hidden, maxBatch, maxTime),
            RecurrentKind.GruLn => new GruSequenceLayer(accelerator, name, input, config.Hidden, maxBatch, maxTime),
            RecurrentKind.HyperLstm => new HyperLstmSequenceLayer(accelerator, name, input, config.Hidden, config.HyperHidden,
                config.HyperEmbedding, maxBatch, maxTime),
            RecurrentKind.DpfpDelta or RecurrentKind.DpfpSum => new DpfpEncoder(accelerator, name, input, config.AttentionOptions,
                config.FeedForward, maxBatch, maxTime),
            _ => throw new ArgumentOutOfRangeException(nameof(config), config.Kind, "Unknown recurrent kind."),
        };
}
