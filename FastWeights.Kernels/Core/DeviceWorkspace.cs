namespace FastWeights.Kernels.Core;

/// <summary>
/// What every layer's workspace shares: the float32 device buffers it owns on one accelerator, their total size, the
/// record of which forward (layer and shape) last filled its tape, and disposal. A workspace serves one call at a time:
/// two streams must not share one. The derived class allocates its buffers in its constructor, in the order of its plan,
/// so that <see cref="AllocatedBytes"/> equals the plan's bytes: the whole buffer list of its family at once with
/// <see cref="AllocateBuffers"/> (the list the plan counts, <see cref="BufferSink{T}"/>), or one by one with <see cref="Allocate"/>.
/// </summary>
public abstract class DeviceWorkspace : IDisposable
{
    private readonly List<MemoryBuffer> buffers = new();
    private bool disposed;

    /// <summary>Records the accelerator; the derived class then allocates.</summary>
    private protected DeviceWorkspace(Accelerator accelerator) => Accelerator = accelerator;

    /// <summary>The accelerator the buffers live on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Sum of the sizes of the device buffers really allocated, in bytes.</summary>
    public virtual long AllocatedBytes
    {
        get
        {
            long total = 0;
            foreach (var b in buffers) total += b.LengthInBytes;
            return total;
        }
    }

    /// <summary>The largest batch B this workspace serves.</summary>
    public abstract int MaxBatch { get; }

    /// <summary>The longest sequence T this workspace serves.</summary>
    public abstract int MaxTime { get; }

    /// <summary>Whether <see cref="Dispose"/> was called.</summary>
    public bool IsDisposed => disposed;

    /// <summary>Set by a forward for (batch, time); a backward checks it matches.</summary>
    internal (int Batch, int Time)? ForwardShape { get; set; }

    /// <summary>The layer whose forward filled the tape last.</summary>
    internal object? ForwardLayer { get; set; }

    /// <summary>Throws unless this workspace is alive and lives on <paramref name="accelerator"/> (the layer's).</summary>
    /// <exception cref="ObjectDisposedException">The workspace is disposed.</exception>
    /// <exception cref="ArgumentException">It was created for another accelerator (named "workspace").</exception>
    internal void CheckOwner(Accelerator accelerator)
    {
        if (disposed) throw new ObjectDisposedException("workspace", "The workspace is disposed.");
        if (!ReferenceEquals(Accelerator, accelerator))
            throw new ArgumentException("workspace was created for another accelerator.", "workspace");
    }

    /// <summary>Throws unless 1 ≤ batch ≤ <see cref="MaxBatch"/> and 1 ≤ time ≤ <see cref="MaxTime"/> (naming the argument).</summary>
    internal void CheckCapacity(int batch, int time)
    {
        if (batch > MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"batch exceeds the workspace's capacity of {MaxBatch}.");
        if (time > MaxTime)
            throw new ArgumentOutOfRangeException(nameof(time), time, $"time exceeds the workspace's capacity of {MaxTime}.");
    }

    /// <summary>Records that <paramref name="layer"/>'s forward of (batch, time) filled the tape.</summary>
    internal void RecordForward(object layer, int batch, int time)
    {
        ForwardShape = (batch, time);
        ForwardLayer = layer;
    }

    /// <summary>
    /// Throws <see cref="InvalidOperationException"/> unless the last forward on this workspace was run by
    /// <paramref name="layer"/> with the same (batch, time): a backward reads that forward's tape.
    /// </summary>
    /// <param name="layer">The layer asking.</param>
    /// <param name="batch">B of the backward.</param>
    /// <param name="time">T of the backward.</param>
    /// <param name="consumesTape">Whether a backward uses the tape up (the next backward needs a new forward); said in the message.</param>
    internal void RequireForward(object layer, int batch, int time, bool consumesTape = false)
    {
        if (ForwardShape is not null && !ReferenceEquals(ForwardLayer, layer))
            throw new InvalidOperationException("The last forward on this workspace was run by another layer; run this layer's Forward first.");
        if (ForwardShape != (batch, time))
        {
            string last = ForwardShape is { } s ? $"(batch={s.Batch}, time={s.Time})" : consumesTape ? "none" : "never run";
            throw new InvalidOperationException(consumesTape
                ? $"Backward(batch={batch}, time={time}) needs a Forward of the same shape on this workspace first (a backward consumes the forward's tape); the last unconsumed forward was {last}."
                : $"Backward(batch={batch}, time={time}) needs a Forward of the same shape on this workspace first; the last forward was {last}.");
        }
    }

    /// <summary>
    /// Allocates one float32 buffer of <paramref name="elements"/> elements and owns it. Every caller passes ≥ 1 element
    /// (all sizes are ≥ 1), since some back ends refuse empty buffers.
    /// </summary>
    private protected ArrayView<float> Allocate(long elements)
    {
        var buffer = Accelerator.Allocate1D<float>(elements);
        buffers.Add(buffer);
        return buffer.View;
    }

    /// <summary>
    /// Allocates, in order, every buffer <paramref name="list"/> takes, and returns the list's views. If an allocation
    /// fails, the workspace is disposed (freeing what was allocated) and the exception rethrown.
    /// </summary>
    private protected TList AllocateBuffers<TList>(Func<BufferSink<ArrayView<float>>, TList> list)
    {
        try
        {
            return list(new Allocator(this));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The sink that allocates: each buffer is a view of a new device buffer this workspace owns.</summary>
    private sealed class Allocator(DeviceWorkspace owner) : BufferSink<ArrayView<float>>
    {
        internal override ArrayView<float> Take(long elements) => owner.Allocate(elements);

        internal override ArrayView<float>[] TakeParts(params long[] parts)
        {
            long total = 0;
            foreach (long part in parts) total += part;
            var buffer = owner.Allocate(total);
            var views = new ArrayView<float>[parts.Length];
            long offset = 0;
            for (int i = 0; i < parts.Length; i++)
            {
                views[i] = buffer.SubView(offset, parts[i]);
                offset += parts[i];
            }
            return views;
        }
    }

    /// <summary>Frees what a derived workspace owns besides its buffers (called once, before the buffers are freed).</summary>
    private protected virtual void DisposeOwned()
    {
    }

    /// <summary>Frees the device buffers. Safe to call twice.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        DisposeOwned();
        foreach (var b in buffers) b.Dispose();
        buffers.Clear();
        GC.SuppressFinalize(this);
    }
}
