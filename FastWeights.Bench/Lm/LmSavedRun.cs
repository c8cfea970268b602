using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Bench.Runs;
using FastWeights.Kernels.Core;
using FastWeights.Model.Parameters;
using FastWeights.Model.Tasks.Language;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Lm;

/// <summary>A trained language model loaded back from a run folder (or its checkpoint folder), with its vocabulary.</summary>
internal sealed class LmSavedRun : LoadedRun<CharLanguageModel>
{
    private LmSavedRun(ComputeDevice device, CharLanguageModel model, CharVocabulary vocabulary, IReadOnlyDictionary<string, string> metadata)
        : base(device, model, metadata)
    {
        Vocabulary = vocabulary;
    }

    public CharVocabulary Vocabulary { get; }

    private sealed class Module(IReadOnlyList<Parameter> parameters) : IModule
    {
        public IReadOnlyList<Parameter> Parameters { get; } = parameters;
    }

    /// <summary>Loads <paramref name="folder"/> for batches of up to <paramref name="batch"/>; the checkpoint is verified whole first.</summary>
    public static LmSavedRun Open(string folder, string accelerator, int batch)
    {
        CharVocabulary? vocabulary = null;
        int stateLength = 0;
        var (checkpoint, m, config) = SavedCheckpoint.Read(folder, stored =>
        {
            if (!stored.TryGetValue("data.vocabulary", out var vocab) || !stored.TryGetValue("lm.state_length", out var stateText)
                || !int.TryParse(stateText, NumberStyles.Integer, CultureInfo.InvariantCulture, out stateLength) || stateLength < 1)
                throw new FormatException("it is not a checkpoint of `lm train` (metadata lacks data.vocabulary or lm.state_length).");
            vocabulary = CharVocabulary.FromMetadata(vocab);
        });
        if (vocabulary!.Count != config.Vocabulary)
            throw new CommandInputException($"--checkpoint {folder}: the vocabulary holds {vocabulary.Count} ids, the model {config.Vocabulary}.");
        var (device, model) = SavedCheckpoint.Load(folder, accelerator, a => new CharLanguageModel(a, config, batch), loaded =>
        {
            // The training state carried between windows is part of the file; it is read (and checked) but not used here.
            using var carried = new Parameter(loaded.Accelerator, LanguageModelTrainer.StateTensorName, stateLength);
            Checkpoint.LoadModel(checkpoint, new Module([.. loaded.Parameters, carried]));
        });
        return new LmSavedRun(device, model, vocabulary, m);
    }

    /// <summary>The run's training batch (train.batch_size), which evaluation uses as its number of streams.</summary>
    public static int TrainingBatch(string folder)
    {
        string checkpoint = RunFolder.CheckpointOf(folder);
        try
        {
            var m = Checkpoint.ReadMetadata(checkpoint);
            return m.TryGetValue("train.batch_size", out var v) && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int b) && b >= 1
                ? b : throw new CommandInputException($"--checkpoint {folder}: metadata lacks train.batch_size (not a checkpoint of `lm train`).");
        }
        catch (CheckpointException e) { throw new CommandInputException($"--checkpoint {folder}: {e.Message}"); }
    }
}
