namespace FastWeights.Model.Layers;

/// <summary>The recurrent layers compared in the retrieval experiment; all run through the fast-weight kernels.</summary>
public enum RecurrentKind
{
    /// <summary>RNN-LN-FW: layer-normalised RNN with the fast-weight memory (Ba et al. 2016).</summary>
    FastWeights = 0,

    /// <summary>RNN-LN: layer-normalised RNN, no fast weights (η = 0, S = 1).</summary>
    LayerNormRnn = 1,

    /// <summary>CONTROL: plain tanh RNN h = tanh(W h + C x + b), no layer norm, no fast weights.</summary>
    Control = 2,
}
