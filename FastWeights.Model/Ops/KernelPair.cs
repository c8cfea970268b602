using FastWeights.Kernels.Core;

namespace FastWeights.Model.Ops;

/// <summary>
/// The forward and the backward kernel of an op whose two kernels take one argument struct, loaded (in that order) for
/// one accelerator; each kernel is compiled once per accelerator (docs/gpu.md §1).
/// </summary>
/// <typeparam name="TArgs">The kernels' argument struct.</typeparam>
internal sealed class KernelPair<TArgs>
    where TArgs : struct
{
    /// <summary>Loads <paramref name="forward"/>, then <paramref name="backward"/>, for <paramref name="accelerator"/>.</summary>
    public KernelPair(Accelerator accelerator, KernelEntry<Action<AcceleratorStream, Index1D, TArgs>> forward,
        KernelEntry<Action<AcceleratorStream, Index1D, TArgs>> backward)
    {
        Forward = forward.Load(accelerator);
        Backward = backward.Load(accelerator);
    }

    /// <summary>The forward kernel's launcher.</summary>
    public Action<AcceleratorStream, Index1D, TArgs> Forward { get; }

    /// <summary>The backward kernel's launcher.</summary>
    public Action<AcceleratorStream, Index1D, TArgs> Backward { get; }
}
