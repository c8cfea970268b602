using FastWeights.Kernels.Core;
using ILGPU;
using ILGPU.Runtime;
using static FastWeights.Kernels.Core.KernelEntry;

namespace FastWeights.Kernels.LinearFastWeights;

/// <summary>
/// The linear fast-weight memory's kernels.
/// The only way this family loads them (<see cref="KernelEntry{TLauncher}.Load"/>: once per accelerator);
/// <c>KernelEntries.Library</c> (Compilation/) lists these for the PTX check, and a test fails when a <c>Load…Kernel</c>
/// call appears outside the loaders.
/// </summary>
internal static class LinearFastWeightKernels
{
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LinearSweepArgs>> LinearForwardThread = AutoGrouped<LinearSweepArgs>(LinearForwardSweep.ThreadKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, LinearSweepArgs>> LinearForwardGroup = Grouped<LinearSweepArgs>(LinearForwardSweep.GroupKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LinearSweepArgs>> LinearReverseThread = AutoGrouped<LinearSweepArgs>(LinearReverseSweep.ThreadKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, LinearSweepArgs>> LinearReverseGroup = Grouped<LinearSweepArgs>(LinearReverseSweep.GroupKernel);
}
