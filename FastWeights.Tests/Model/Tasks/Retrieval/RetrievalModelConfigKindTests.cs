using FastWeights.Model.Layers;
using FastWeights.Model.Tasks.Retrieval;

namespace FastWeights.Tests.Model.Tasks.Retrieval;

/// <summary>The model names of every recurrent kind, and the checkpoint metadata of the HyperLSTM's extra sizes.</summary>
public sealed class RetrievalModelConfigKindTests
{
    [TestCase(RecurrentKind.FastWeights, "fw")]
    [TestCase(RecurrentKind.LayerNormRnn, "rnn-ln")]
    [TestCase(RecurrentKind.Control, "control")]
    [TestCase(RecurrentKind.Lstm, "lstm-ln")]
    [TestCase(RecurrentKind.HyperLstm, "hyperlstm")]
    [TestCase(RecurrentKind.GruLn, "gru-ln")]
    public void NameRoundTrips(RecurrentKind kind, string name)
    {
        Assert.That(RetrievalModelConfig.KindName(kind), Is.EqualTo(name));
        Assert.That(RetrievalModelConfig.ParseKind(name), Is.EqualTo(kind));
    }

    [Test]
    public void UnknownName_ListsEveryModel()
    {
        var ex = Assert.Throws<ArgumentException>(() => RetrievalModelConfig.ParseKind("lstm"))!;
        Assert.That(ex.Message, Does.Contain("lstm-ln").And.Contain("hyperlstm").And.Contain("gru-ln"));
    }

    [Test]
    public void Metadata_RoundTripsHyperSizes_AndOldCheckpointsTakeTheDefaults()
    {
        var config = new RetrievalModelConfig { Kind = RecurrentKind.HyperLstm, HyperHidden = 7, HyperEmbedding = 3 };
        var metadata = config.ToMetadata();
        Assert.That(RetrievalModelConfig.FromMetadata(metadata), Is.EqualTo(config));
        metadata.Remove("arch.hyper_hidden");
        metadata.Remove("arch.hyper_embedding");
        var old = RetrievalModelConfig.FromMetadata(metadata);
        Assert.That((old.HyperHidden, old.HyperEmbedding), Is.EqualTo((16, 4)));
    }

    [TestCase(RecurrentKind.Lstm, typeof(LstmSequenceLayer), 7)]
    [TestCase(RecurrentKind.HyperLstm, typeof(HyperLstmSequenceLayer), 18)]
    [TestCase(RecurrentKind.GruLn, typeof(GruSequenceLayer), 6)]
    [TestCase(RecurrentKind.Control, typeof(FastWeightRnnSequenceLayer), 3)]
    public void ModelBuildsTheLayerOfItsKind(RecurrentKind kind, Type layerType, int recurrentParameters)
    {
        var config = new RetrievalModelConfig { Kind = kind, Hidden = 6, Embedding = 5, DenseHidden = 4, SequenceLength = 5 };
        using var model = new RetrievalModel(Devices.Cpu.Accelerator, config, 2);
        Assert.That(model.Recurrent, Is.TypeOf(layerType));
        Assert.That(model.Recurrent.Parameters, Has.Count.EqualTo(recurrentParameters));
        Assert.That(model.Parameters.Select(p => p.Name), Is.Unique);
    }
}
