using ILGPU;
using ILGPU.Runtime;

namespace FastWeights.Bench.GpuCheck;

/// <summary>
/// The device buffers of one layer check: inputs uploaded by name, outputs allocated by name and read back after the
/// run; every buffer is freed on dispose.
/// </summary>
internal sealed class CheckBuffers(Accelerator accelerator, IReadOnlyDictionary<string, float[]> inputs) : IDisposable
{
    private readonly List<MemoryBuffer> owned = [];
    private readonly Dictionary<string, ArrayView<float>> outputs = [];

    /// <summary>The input <paramref name="name"/>, uploaded to a new buffer.</summary>
    public ArrayView<float> Up(string name)
    {
        var buffer = accelerator.Allocate1D(inputs[name]);
        owned.Add(buffer);
        return buffer.View;
    }

    /// <summary>A new output buffer of <paramref name="length"/> floats, read back as <paramref name="name"/>.</summary>
    public ArrayView<float> Out(string name, long length)
    {
        var buffer = accelerator.Allocate1D<float>(length);
        owned.Add(buffer);
        outputs[name] = buffer.View;
        return buffer.View;
    }

    /// <summary>Every output by name, copied to the host (after the stream has run).</summary>
    public Dictionary<string, float[]> Read(AcceleratorStream stream) => outputs.ToDictionary(kv => kv.Key, kv => kv.Value.GetAsArray(stream));

    public void Dispose()
    {
        foreach (var b in owned) b.Dispose();
    }
}
