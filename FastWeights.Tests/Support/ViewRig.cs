namespace FastWeights.Tests.Support;

/// <summary>
/// The named device views of one forward/backward call of a layer, the buffers behind them, and a workspace: what the
/// boundary (validation) tests of every layer family break one view at a time. Disposing the rig disposes all of them.
/// </summary>
public abstract class ViewRig<TWorkspace> : IDisposable where TWorkspace : class, IDisposable
{
    private readonly List<MemoryBuffer> owned = [];

    /// <summary>The views by the names the layer's argument checks use.</summary>
    public Dictionary<string, ArrayView<float>> V { get; } = new();

    /// <summary>A workspace for the rig's (B, T).</summary>
    public TWorkspace Workspace { get; protected init; } = null!;

    /// <summary>Keeps <paramref name="buffer"/> until the rig is disposed and returns its view.</summary>
    public ArrayView<float> Keep(MemoryBuffer1D<float, Stride1D.Dense> buffer)
    {
        owned.Add(buffer);
        return buffer.View;
    }

    /// <summary>A zeroed buffer of <paramref name="length"/> on <paramref name="acc"/>, kept by the rig.</summary>
    public ArrayView<float> Alloc(Accelerator acc, long length)
    {
        var buffer = acc.Allocate1D<float>(length);
        buffer.MemSetToZero();
        return Keep(buffer);
    }

    /// <summary><paramref name="data"/> copied to <paramref name="acc"/>, kept by the rig.</summary>
    public ArrayView<float> Upload(Accelerator acc, float[] data) => Keep(acc.Allocate1D(data));

    /// <summary>
    /// Uploads deterministic data under each name (seed = its position, from 1): 1 + 0.1·sin(7·seed + k) for a gain,
    /// 0.4·sin(13·seed + 0.7·k) otherwise.
    /// </summary>
    protected void UploadPattern(Accelerator acc, IEnumerable<string> names, Func<string, long> length, Func<string, bool> isGain)
    {
        int seed = 1;
        foreach (var name in names)
        {
            var data = new float[length(name)];
            for (int k = 0; k < data.Length; k++)
                data[k] = isGain(name) ? 1f + 0.1f * MathF.Sin(seed * 7 + k) : 0.4f * MathF.Sin(seed * 13 + k * 0.7f);
            V[name] = Upload(acc, data);
            seed++;
        }
    }

    /// <summary>A view of the right length whose buffer is already disposed.</summary>
    public static ArrayView<float> Disposed(Accelerator acc, long length)
    {
        var buffer = acc.Allocate1D<float>(length);
        var view = buffer.View;
        buffer.Dispose();
        return view;
    }

    public float[] Read(string name) => V[name].GetAsArray();

    public void Write(string name, float[] data) => V[name].CopyFromCPU(data);

    /// <summary>The pattern <see cref="FillSentinel"/> writes: unlike anything a layer would write.</summary>
    protected virtual float[] Sentinel(int length) => Rejections.Sentinel(length);

    /// <summary>Fills the named views with <see cref="Sentinel"/>.</summary>
    public void FillSentinel(IEnumerable<string> names)
    {
        foreach (var name in names) Write(name, Sentinel(V[name].IntLength));
    }

    /// <summary>Asserts, bit for bit, that the named views still hold <see cref="Sentinel"/>: a rejected call wrote nothing.</summary>
    public void AssertSentinel(IEnumerable<string> names)
    {
        Assert.Multiple(() =>
        {
            foreach (var name in names)
                Assert.That(Rejections.Bits(Read(name)), Is.EqualTo(Rejections.Bits(Sentinel(V[name].IntLength))), $"{name} was changed by a rejected call");
        });
    }

    public void Dispose()
    {
        Workspace.Dispose();
        foreach (var b in owned) b.Dispose();
        GC.SuppressFinalize(this);
    }
}
