using ILGPU.Algorithms;

namespace FastWeights.Kernels.Primitives;

/// <summary>
/// Flags[slot] = 1 when any element of Values is NaN or ±Inf. Every offending thread writes the
/// same value, so the race is benign. Used by the optional input check before any other kernel runs.
/// </summary>
internal static class FiniteCheck
{
    /// <summary>How a layer loads <see cref="Kernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, int>> Entry = AutoGrouped<ArrayView<float>, ArrayView<int>, int>(Kernel);
    public static void Kernel(Index1D index, ArrayView<float> values, ArrayView<int> flags, int slot)
    {
        if (!XMath.IsFinite(values[index]))
            flags[slot] = 1;
    }
}
