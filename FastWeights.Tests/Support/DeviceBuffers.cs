namespace FastWeights.Tests.Support;

/// <summary>Device buffers a runner uploads a float64 case into and reads results from; disposing it frees them all.</summary>
public sealed class DeviceBuffers(Accelerator accelerator) : IDisposable
{
    private readonly List<MemoryBuffer> owned = [];

    /// <summary><paramref name="a"/> rounded to float32 on the device; an empty view for null.</summary>
    public ArrayView<float> Up(double[]? a) => a is null ? default : Keep(accelerator.Allocate1D(Array.ConvertAll(a, v => (float)v)));

    /// <summary>A zeroed buffer of <paramref name="n"/> floats.</summary>
    public ArrayView<float> Zero(long n)
    {
        var buffer = accelerator.Allocate1D<float>(n);
        buffer.MemSetToZero();
        return Keep(buffer);
    }

    private ArrayView<float> Keep(MemoryBuffer1D<float, Stride1D.Dense> buffer)
    {
        owned.Add(buffer);
        return buffer.View;
    }

    public void Dispose()
    {
        foreach (var b in owned) b.Dispose();
    }
}
