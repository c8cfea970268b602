namespace FastWeights.Model.Ops;

/// <summary>
/// The device buffers a module allocates once, for its activations at the largest (batch, time) it accepts, and frees
/// together when it is disposed: each allocation hands back the buffer's whole view. (The LSTM benchmark suite keeps its
/// tensors in one too.)
/// </summary>
internal sealed class ActivationBuffers : IDisposable
{
    private readonly List<MemoryBuffer> buffers = [];

    /// <summary>A new float buffer of <paramref name="length"/> elements on <paramref name="accelerator"/>.</summary>
    public ArrayView<float> Float(Accelerator accelerator, long length) => Keep(accelerator.Allocate1D<float>(length));

    /// <summary>A new int buffer of <paramref name="length"/> elements on <paramref name="accelerator"/>.</summary>
    public ArrayView<int> Int(Accelerator accelerator, long length) => Keep(accelerator.Allocate1D<int>(length));

    /// <summary>A new float buffer on <paramref name="accelerator"/> holding a copy of <paramref name="values"/>.</summary>
    public ArrayView<float> Upload(Accelerator accelerator, float[] values) => Keep(accelerator.Allocate1D(values));

    /// <summary>Keeps <paramref name="buffer"/> to be freed on dispose; its whole view.</summary>
    private ArrayView<T> Keep<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer)
        where T : unmanaged
    {
        buffers.Add(buffer);
        return buffer.View;
    }

    /// <summary>Frees every buffer, in allocation order.</summary>
    public void Dispose()
    {
        foreach (var buffer in buffers) buffer.Dispose();
    }
}
