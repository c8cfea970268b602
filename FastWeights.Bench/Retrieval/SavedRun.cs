using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Bench.Runs;
using FastWeights.Kernels.Core;
using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Retrieval;

/// <summary>A trained model loaded back from a run folder (or its checkpoint folder), with the data it was trained on.</summary>
internal sealed class SavedRun : LoadedRun<RetrievalModel>
{
    private SavedRun(ComputeDevice device, RetrievalModel model, RetrievalSplits data, IReadOnlyDictionary<string, string> metadata)
        : base(device, model, metadata)
    {
        Data = data;
    }

    public RetrievalSplits Data { get; }

    /// <summary>Loads <paramref name="folder"/>; the splits are regenerated from the seed and sizes in the metadata.</summary>
    public static SavedRun Open(string folder, string accelerator, int batch)
    {
        var (checkpoint, m, config) = SavedCheckpoint.Read(folder);
        int Int(string key) => m.TryGetValue(key, out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int r)
            ? r : throw new CommandInputException($"--checkpoint {folder}: metadata lacks '{key}'.");
        var data = RetrievalDataset.Create(Int("data.pairs"), Int("data.train_size"), Int("data.validation_size"), Int("data.test_size"), Int("data.seed"));
        var (device, model) = SavedCheckpoint.Load(folder, accelerator, a => new RetrievalModel(a, config, batch), loaded => Checkpoint.LoadModel(checkpoint, loaded));
        return new SavedRun(device, model, data, m);
    }
}
