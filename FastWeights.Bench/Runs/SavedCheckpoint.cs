using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Bench.Cli;
using FastWeights.Kernels.Core;
using FastWeights.Model.Training;
using ILGPU.Runtime;

namespace FastWeights.Bench.Runs;

/// <summary>
/// Loading a trained model back from a --checkpoint folder (`retrieval eval/sample`, `lm eval/sample`): the checkpoint
/// is verified whole first, and every failure is one line naming --checkpoint.
/// </summary>
internal static class SavedCheckpoint
{
    /// <summary>
    /// Verifies the checkpoint <paramref name="folder"/> names (<see cref="RunFolder.CheckpointOf"/>) and reads its
    /// metadata and architecture; <paramref name="check"/> may refuse the metadata first with a <see cref="FormatException"/>.
    /// </summary>
    public static (string Checkpoint, IReadOnlyDictionary<string, string> Metadata, RetrievalModelConfig Architecture) Read(string folder,
        Action<IReadOnlyDictionary<string, string>>? check = null)
    {
        string checkpoint = RunFolder.CheckpointOf(folder);
        try
        {
            Checkpoint.Verify(checkpoint); // the model alone is read, but a torn or mixed checkpoint is refused here too
            var m = Checkpoint.ReadMetadata(checkpoint);
            check?.Invoke(m);
            return (checkpoint, m, RetrievalModelConfig.FromMetadata(m));
        }
        catch (Exception e) when (e is CheckpointException or FormatException)
        {
            throw new CommandInputException($"--checkpoint {folder}: {e.Message}");
        }
    }

    /// <summary>
    /// Opens the device, builds the model on it with <paramref name="create"/> and reads its parameters with
    /// <paramref name="load"/>; on any failure both are disposed again.
    /// </summary>
    public static (ComputeDevice Device, TModel Model) Load<TModel>(string folder, string accelerator, Func<Accelerator, TModel> create, Action<TModel> load)
        where TModel : class, IDisposable
    {
        var device = DeviceOptions.OpenDevice(accelerator, SweepSchedule.Auto);
        TModel? model = null;
        try
        {
            model = create(device.Accelerator);
            try { load(model); }
            catch (CheckpointException e) { throw new CommandInputException($"--checkpoint {folder}: {e.Message}"); }
            return (device, model);
        }
        catch
        {
            model?.Dispose();
            device.Dispose();
            throw;
        }
    }
}
