namespace FastWeights.Kernels.Core;

/// <summary>
/// The device buffers a host-array entry point (<c>FastWeightRnnHost</c>, <c>LinearFastWeightHost</c>) creates for one
/// call: arrays uploaded to the layer's accelerator and outputs allocated there, all freed together on dispose.
/// </summary>
internal sealed class HostBuffers : IDisposable
{
    private readonly Accelerator accelerator;
    private readonly List<MemoryBuffer> owned = new();

    public HostBuffers(Accelerator accelerator) => this.accelerator = accelerator;

    /// <summary>Throws, naming "Batch" or "Time", unless both are ≥ 1.</summary>
    public static void CheckBatchAndTime(int batch, int time)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException("Batch", batch, "Batch must be ≥ 1.");
        if (time < 1) throw new ArgumentOutOfRangeException("Time", time, "Time must be ≥ 1.");
    }

    /// <summary>A device copy of <paramref name="data"/>; an empty view when it is null.</summary>
    public ArrayView<float> Upload(float[]? data)
    {
        if (data is null) return default;
        var buffer = accelerator.Allocate1D(data);
        owned.Add(buffer);
        return buffer.View;
    }

    /// <summary><paramref name="elements"/> floats on the device (contents undefined); an empty view when not <paramref name="wanted"/>.</summary>
    public ArrayView<float> Alloc(long elements, bool wanted = true)
    {
        if (!wanted) return default;
        var buffer = accelerator.Allocate1D<float>(elements);
        owned.Add(buffer);
        return buffer.View;
    }

    /// <summary>Frees every buffer.</summary>
    public void Dispose()
    {
        foreach (var b in owned) b.Dispose();
    }
}
