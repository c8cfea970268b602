using FastWeights.Kernels.Core;

namespace FastWeights.Bench.Runs;

/// <summary>
/// A trained model loaded back from a run folder (<see cref="SavedCheckpoint"/>), on the device it was opened on, with
/// its checkpoint's metadata; disposing it frees the model and then the device.
/// </summary>
internal abstract class LoadedRun<TModel>(ComputeDevice device, TModel model, IReadOnlyDictionary<string, string> metadata) : IDisposable
    where TModel : IDisposable
{
    public ComputeDevice Device { get; } = device;
    public TModel Model { get; } = model;
    public IReadOnlyDictionary<string, string> Metadata { get; } = metadata;

    public void Dispose()
    {
        Model.Dispose();
        Device.Dispose();
    }
}
