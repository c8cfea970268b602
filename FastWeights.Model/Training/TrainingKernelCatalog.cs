using FastWeights.Kernels.Compilation;
using ILGPU;
using ILGPU.Runtime;
using static FastWeights.Kernels.Compilation.KernelEntries;

namespace FastWeights.Model.Training;

/// <summary>
/// Every kernel of FastWeights.Model.Training, and the only way the optimizer and the gradient norm loads them (each loaded once per accelerator);
/// the root ModelKernelCatalog lists these with the rest of the library's kernels for the PTX check (docs/gpu.md).
/// </summary>
internal static class TrainingKernelCatalog
{
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, AdamArgs>> Adam = AutoGrouped<AdamArgs>(TrainingKernels.AdamKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, SquareSumArgs>> SquareSum = AutoGrouped<SquareSumArgs>(TrainingKernels.SquareSumKernel);

    /// <summary>This folder's entries, in declaration order.</summary>
    public static IReadOnlyList<KernelEntry> All { get; } = Collect(typeof(TrainingKernelCatalog));
}
