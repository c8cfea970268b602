namespace FastWeights.Kernels.Core;

/// <summary>
/// Argument checks done once at the public boundary, before any kernel is launched, so a bad call
/// never touches the caller's buffers. Every exception names the argument.
/// </summary>
public static class ViewChecks
{
    /// <summary>A view that must be present, of exactly <paramref name="length"/> elements, on <paramref name="accelerator"/>.</summary>
    public static void Required<T>(ArrayView<T> view, string name, long length, string shape, Accelerator accelerator)
        where T : unmanaged
    {
        if (!view.IsValid)
            throw new ArgumentException($"{name} is required ({shape} = {length} elements) but an empty view was given.", name);
        Check(view, name, length, shape, accelerator);
    }

    /// <summary>A view that may be empty (meaning zero / not wanted); when present, it must match like a required one.</summary>
    public static bool Optional<T>(ArrayView<T> view, string name, long length, string shape, Accelerator accelerator)
        where T : unmanaged
    {
        if (!view.IsValid)
            return false;
        Check(view, name, length, shape, accelerator);
        return true;
    }

    private static void Check<T>(ArrayView<T> view, string name, long length, string shape, Accelerator accelerator)
        where T : unmanaged
    {
        var buffer = ((IArrayView)view).Buffer;
        if (buffer is null)
            throw new ArgumentException($"{name} is not backed by a device buffer.", name);
        if (buffer.IsDisposed)
            throw new ObjectDisposedException(name, $"{name} refers to a disposed buffer.");
        if (!ReferenceEquals(buffer.Accelerator, accelerator))
            throw new ArgumentException(
                $"{name} lives on accelerator '{buffer.Accelerator.Name}' ({buffer.Accelerator.AcceleratorType}, object #{System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(buffer.Accelerator)}), not on the expected '{accelerator.Name}' ({accelerator.AcceleratorType}, object #{System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(accelerator)}).",
                name);
        if (view.Length != length)
            throw new ArgumentException($"{name} must have shape {shape} = {length} elements, but has {view.Length}.", name);
    }

    /// <summary>A stream of the layer's accelerator that is not disposed.</summary>
    public static void Stream(AcceleratorStream stream, Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.IsDisposed)
            throw new ObjectDisposedException(nameof(stream), "The stream is disposed.");
        if (!ReferenceEquals(stream.Accelerator, accelerator))
            throw new ArgumentException($"stream belongs to accelerator '{stream.Accelerator.Name}', not to the expected '{accelerator.Name}'.", nameof(stream));
    }

    /// <summary>A product of sizes that must fit a 32-bit element count.</summary>
    public static void FitsInt(long product, string name, string what)
    {
        if (product > int.MaxValue)
            throw new ArgumentOutOfRangeException(name, product, $"{what} must be below 2³¹.");
    }

    /// <summary>An accelerator that is present and not disposed.</summary>
    public static void LiveAccelerator(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (accelerator.IsDisposed) throw new ObjectDisposedException(nameof(accelerator));
    }

    /// <summary>A positive size.</summary>
    public static void Positive(int value, string name)
    {
        if (value < 1)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be ≥ 1.");
    }
}
