namespace FastWeights.Model.Layers;

/// <summary>
/// The sequence layers compared in the retrieval experiment: three through the fast-weight RNN kernels, the LSTM
/// and GRU baselines through their own (docs/lstm.md, docs/gru.md), two through the linear-transformer fast-weight memory.
/// </summary>
public enum RecurrentKind
{
    /// <summary>RNN-LN-FW: layer-normalised RNN with the fast-weight memory (Ba et al. 2016).</summary>
    FastWeights = 0,

    /// <summary>RNN-LN: layer-normalised RNN, no fast weights (η = 0, S = 1).</summary>
    LayerNormRnn = 1,

    /// <summary>CONTROL: plain tanh RNN h = tanh(W h + C x + b), no layer norm, no fast weights.</summary>
    Control = 2,

    /// <summary>LSTM-LN: the layer-normalised LSTM (HyperLSTM paper's formulation; docs/lstm.md §2).</summary>
    Lstm = 3,

    /// <summary>HyperLSTM: an LSTM-LN whose gate terms are scaled per row by a small hyper LSTM (Ha et al. 2016; docs/lstm.md §8).</summary>
    HyperLstm = 4,

    /// <summary>dpfp-delta: token shift, input projection and one DPFP block whose fast-weight memory uses the delta rule
    /// (Schlag, Irie and Schmidhuber 2021); see <see cref="DpfpEncoder"/>.</summary>
    DpfpDelta = 5,

    /// <summary>dpfp-sum: the same block with the sum rule (a linear transformer with the DPFP feature map).</summary>
    DpfpSum = 6,

    /// <summary>GRU-LN: the layer-normalised GRU of the TensorFlow reimplementations of Ba et al. 2016 (docs/gru.md).</summary>
    GruLn = 7,
}
