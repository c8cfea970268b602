using FastWeights.Kernels.Core;
using ILGPU;
using ILGPU.Runtime;
using static FastWeights.Kernels.Core.KernelEntry;

namespace FastWeights.Kernels.Lstm;

/// <summary>
/// The LN-LSTM's kernels.
/// The only way this family loads them (<see cref="KernelEntry{TLauncher}.Load"/>: once per accelerator);
/// <c>KernelEntries.Library</c> (Compilation/) lists these for the PTX check, and a test fails when a <c>Load…Kernel</c>
/// call appears outside the loaders.
/// </summary>
internal static class LstmKernels
{
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LstmForwardSweepArgs>> LstmForwardThread = AutoGrouped<LstmForwardSweepArgs>(LstmForwardSweep.ThreadKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, LstmForwardSweepArgs>> LstmForwardGroup = Grouped<LstmForwardSweepArgs>(LstmForwardSweep.GroupKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LstmReverseSweepArgs>> LstmReverseThread = AutoGrouped<LstmReverseSweepArgs>(LstmReverseSweep.ThreadKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, LstmReverseSweepArgs>> LstmReverseGroup = Grouped<LstmReverseSweepArgs>(LstmReverseSweep.GroupKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, NormParameterGradientArgs>> NormGradient = AutoGrouped<NormParameterGradientArgs>(NormParameterGradient.Kernel);
}
