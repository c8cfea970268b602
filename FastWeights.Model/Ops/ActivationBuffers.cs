namespace FastWeights.Model.Ops;

/// <summary>
/// The device buffers a module allocates once, for its activations at the largest (batch, time) it accepts, and frees
/// together when it is disposed: each allocation hands back the buffer's whole view.
/// </summary>
internal sealed class ActivationBuffers : IDisposable
{
    private readonly List<MemoryBuffer> buffers = [];

    /// <summary>A new float buffer of <paramref name="length"/> elements on <paramref name="accelerator"/>.</summary>
    public ArrayView<float> Float(Accelerator accelerator, long length)
    {
        var buffer = accelerator.Allocate1D<float>(length);
        buffers.Add(buffer);
        return buffer.View;
    }

    /// <summary>A new int buffer of <paramref name="length"/> elements on <paramref name="accelerator"/>.</summary>
    public ArrayView<int> Int(Accelerator accelerator, long length)
    {
        var buffer = accelerator.Allocate1D<int>(length);
        buffers.Add(buffer);
        return buffer.View;
    }

    /// <summary>Frees every buffer, in allocation order.</summary>
    public void Dispose()
    {
        foreach (var buffer in buffers) buffer.Dispose();
    }
}
