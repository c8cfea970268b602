using static FastWeights.Kernels.Core.KernelEntry;
using FastWeights.Kernels.Core;

namespace FastWeights.Model.Ops;

/// <summary>The element-wise sum's kernel.</summary>
internal static class AddKernels
{
    /// <summary>How a layer loads <see cref="Forward"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>> ForwardEntry = AutoGrouped<ArrayView<float>, ArrayView<float>, ArrayView<float>>(Forward);
    /// <summary>One thread per element: output[i] = a[i] + b[i].</summary>
    public static void Forward(Index1D index, ArrayView<float> output, ArrayView<float> a, ArrayView<float> b) =>
        output[index] = a[index] + b[index];
}

/// <summary>
/// Element-wise sum output = a + b of two views of the same length (no parameters). A residual connection's
/// forward, and the backward of any fan-out: the gradient of a value read by two branches is the sum of the two
/// branches' gradients. Its own backward is the identity (dL/da = dL/db = dL/doutput), so it has none.
/// </summary>
/// <remarks>
/// Memory contract: overwrites output, which may be the same view as a or b (each thread reads its element before
/// writing it), so it also accumulates in place. Every view must live on <see cref="Accelerator"/>; calls are
/// asynchronous on the stream given; every argument is checked before the kernel is queued. One launch.
/// </remarks>
public sealed class Add : Op
{
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> forward;

    /// <summary>Compiles the kernel.</summary>
    /// <param name="accelerator">Where every view passed later lives.</param>
    /// <param name="name">Op name (for messages and model listings).</param>
    /// <exception cref="ArgumentNullException">accelerator or name is null.</exception>
    /// <exception cref="ArgumentException">name is empty.</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public Add(Accelerator accelerator, string name)
        : base(accelerator, name)
    {
        forward = AddKernels.ForwardEntry.Load(accelerator);
    }

    /// <summary>output = a + b, element by element.</summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="output">Out [count]. Overwritten; may be a or b.</param>
    /// <param name="a">In [count].</param>
    /// <param name="b">In [count].</param>
    /// <param name="count">Number of elements, ≥ 1 and below 2³¹.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">count &lt; 1 or ≥ 2³¹.</exception>
    /// <exception cref="ObjectDisposedException">The stream or a buffer is disposed.</exception>
    public void Forward(AcceleratorStream stream, ArrayView<float> output, ArrayView<float> a, ArrayView<float> b, long count)
    {
        ViewChecks.Stream(stream, Accelerator);
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "count must be ≥ 1.");
        ViewChecks.FitsInt(count, nameof(count), "count");
        string shape = $"[{count}]";
        ViewChecks.Required(output, nameof(output), count, shape, Accelerator);
        ViewChecks.Required(a, nameof(a), count, shape, Accelerator);
        ViewChecks.Required(b, nameof(b), count, shape, Accelerator);
        forward(stream, (Index1D)(int)count, output, a, b);
    }
}
