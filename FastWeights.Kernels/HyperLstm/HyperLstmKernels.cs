using FastWeights.Kernels.Core;
using ILGPU;
using ILGPU.Runtime;
using static FastWeights.Kernels.Core.KernelEntry;

namespace FastWeights.Kernels.HyperLstm;

/// <summary>
/// The HyperLSTM's kernels.
/// The only way this family loads them (<see cref="KernelEntry{TLauncher}.Load"/>: once per accelerator);
/// <c>KernelEntries.Library</c> (Compilation/) lists these for the PTX check, and a test fails when a <c>Load…Kernel</c>
/// call appears outside the loaders.
/// </summary>
internal static class HyperLstmKernels
{
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, HyperLstmForwardSweepArgs>> HyperForwardThread = AutoGrouped<HyperLstmForwardSweepArgs>(HyperLstmForwardSweep.ThreadKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, HyperLstmForwardSweepArgs>> HyperForwardGroup = Grouped<HyperLstmForwardSweepArgs>(HyperLstmForwardSweep.GroupKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, HyperLstmReverseSweepArgs>> HyperReverseThread = AutoGrouped<HyperLstmReverseSweepArgs>(HyperLstmReverseSweep.ThreadKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, HyperLstmReverseSweepArgs>> HyperReverseGroup = Grouped<HyperLstmReverseSweepArgs>(HyperLstmReverseSweep.GroupKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, ColumnSumArgs>> HyperColumnSum = AutoGrouped<ColumnSumArgs>(HyperLstmReductions.ColumnSumKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, ScalingWeightGradientArgs>> HyperScalingWeightGradient = AutoGrouped<ScalingWeightGradientArgs>(HyperLstmReductions.ScalingWeightGradientKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, DualInputGradientArgs>> HyperInputGradient = AutoGrouped<DualInputGradientArgs>(HyperLstmReductions.InputGradientKernel);
}
