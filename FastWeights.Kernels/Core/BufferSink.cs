namespace FastWeights.Kernels.Core;

/// <summary>
/// What a workspace's buffer list hands its buffers to, one by one in allocation order. Each family writes its list
/// once, as a class generic in <typeparamref name="T"/> whose property initializers (which C# runs in textual order)
/// each take one buffer with its size. Built over <see cref="BufferSizes"/> (T = long) the list gives every buffer's
/// float32 elements and the plan's total; built by a <see cref="DeviceWorkspace"/> (T = ArrayView&lt;float&gt;) it
/// allocates them. So the plan's bytes and what the workspace allocates agree by construction.
/// </summary>
/// <typeparam name="T">What a buffer is to this sink: its element count, or its device view.</typeparam>
internal abstract class BufferSink<T>
{
    /// <summary>The next buffer, of <paramref name="elements"/> ≥ 1 elements (some back ends refuse empty buffers).</summary>
    internal abstract T Take(long elements);

    /// <summary>
    /// The next buffer, holding <paramref name="parts"/> one after another: one device buffer, one T per part (a view
    /// of the part, or its element count).
    /// </summary>
    internal abstract T[] TakeParts(params long[] parts);
}

/// <summary>The sink that only counts: each buffer is its element count; <see cref="Total"/> sums them.</summary>
internal sealed class BufferSizes : BufferSink<long>
{
    /// <summary>Elements of every buffer taken so far.</summary>
    internal long Total { get; private set; }

    /// <inheritdoc/>
    internal override long Take(long elements)
    {
        Total += elements;
        return elements;
    }

    /// <inheritdoc/>
    internal override long[] TakeParts(params long[] parts)
    {
        foreach (long part in parts) Total += part;
        return parts;
    }

    /// <summary>The elements of every buffer <paramref name="list"/> takes: what a workspace built from it allocates.</summary>
    internal static long TotalOf(Action<BufferSink<long>> list)
    {
        var sizes = new BufferSizes();
        list(sizes);
        return sizes.Total;
    }
}
