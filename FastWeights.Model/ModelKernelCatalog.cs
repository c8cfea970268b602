using FastWeights.Kernels.Compilation;
using FastWeights.Kernels.Core;
using FastWeights.Kernels.Primitives;
using FastWeights.Model.Ops;
using FastWeights.Model.Training;
using ILGPU.Runtime;
using ILGPU;
using static FastWeights.Kernels.Core.KernelEntry;

namespace FastWeights.Model;

/// <summary>
/// Every kernel FastWeights.Model loads, gathered from the folders' own catalogs (<see cref="TrainingKernels"/>,
/// the ops' kernel classes, each entry beside its kernel); <see cref="Library"/> adds FastWeights.Kernels' catalog, giving every kernel the library
/// can launch (what the PTX check compiles, docs/gpu.md). Nothing in FastWeights.Model loads through this class.
/// </summary>
internal static class ModelKernelCatalog
{
    /// <summary>This assembly's entries: the training catalog's, then the ops', each in declaration order.</summary>
    public static IReadOnlyList<KernelEntry> All { get; } = [.. TrainingKernels.All,
        .. Collect(typeof(LastStepKernels)),
        .. Collect(typeof(SoftmaxCrossEntropyKernels)),
        .. Collect(typeof(SequenceCrossEntropyKernels)),
        .. Collect(typeof(TokenShiftKernels)),
        .. Collect(typeof(DenseKernels)),
        .. Collect(typeof(AddKernels)),
        .. Collect(typeof(EmbeddingKernels)),
        .. Collect(typeof(LayerNormKernels))];

    /// <summary>Every kernel the library loads: FastWeights.Kernels' catalog, then this one.</summary>
    public static IReadOnlyList<KernelEntry> Library { get; } = [.. KernelEntries.Library, .. All];
}
