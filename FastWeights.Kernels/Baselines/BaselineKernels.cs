using FastWeights.Kernels.Core;
using ILGPU;
using ILGPU.Runtime;
using static FastWeights.Kernels.Core.KernelEntry;

namespace FastWeights.Kernels.Baselines;

/// <summary>
/// The per-step-launch baseline's kernels (one launch per step and phase).
/// The only way this family loads them (<see cref="KernelEntry{TLauncher}.Load"/>: once per accelerator);
/// <c>KernelEntries.Library</c> (Compilation/) lists these for the PTX check, and a test fails when a <c>Load…Kernel</c>
/// call appears outside the loaders.
/// </summary>
internal static class BaselineKernels
{
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, MatVecArgs>> PerStepMatVec = AutoGrouped<MatVecArgs>(PerStepKernels.MatVec);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, RankOneArgs>> PerStepRankOne = AutoGrouped<RankOneArgs>(PerStepKernels.RankOne);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, RowCopyArgs>> PerStepRowCopy = AutoGrouped<RowCopyArgs>(PerStepKernels.RowCopy);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, OutputGradArgs>> PerStepOutputGrad = AutoGrouped<OutputGradArgs>(PerStepKernels.OutputGrad);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, PreliminaryGradArgs>> PerStepPreliminaryGrad = AutoGrouped<PreliminaryGradArgs>(PerStepKernels.PreliminaryGrad);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, InnerNormArgs>> PerStepInnerNorm = AutoGrouped<InnerNormArgs>(PerStepKernels.InnerNorm);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, NormBackwardArgs>> PerStepNormBackward = AutoGrouped<NormBackwardArgs>(PerStepKernels.NormBackward);
}
