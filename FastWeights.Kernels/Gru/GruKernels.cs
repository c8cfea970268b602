using FastWeights.Kernels.Core;
using ILGPU;
using ILGPU.Runtime;
using static FastWeights.Kernels.Core.KernelEntry;

namespace FastWeights.Kernels.Gru;

/// <summary>
/// The LN-GRU's kernels.
/// The only way this family loads them (<see cref="KernelEntry{TLauncher}.Load"/>: once per accelerator);
/// <c>KernelEntries.Library</c> (Compilation/) lists these for the PTX check, and a test fails when a <c>Load…Kernel</c>
/// call appears outside the loaders.
/// </summary>
internal static class GruKernels
{
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, GruForwardSweepArgs>> GruForwardThread = AutoGrouped<GruForwardSweepArgs>(GruForwardSweep.ThreadKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, GruForwardSweepArgs>> GruForwardGroup = Grouped<GruForwardSweepArgs>(GruForwardSweep.GroupKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, GruReverseSweepArgs>> GruReverseThread = AutoGrouped<GruReverseSweepArgs>(GruReverseSweep.ThreadKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, GruReverseSweepArgs>> GruReverseGroup = Grouped<GruReverseSweepArgs>(GruReverseSweep.GroupKernel);
}
