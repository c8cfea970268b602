using FastWeights.Kernels.Baselines;
using FastWeights.Kernels.Core;
using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Gru;
using FastWeights.Kernels.HyperLstm;
using FastWeights.Kernels.LinearFastWeights;
using FastWeights.Kernels.Lstm;
using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.Compilation;

/// <summary>
/// Every kernel FastWeights.Kernels loads, collected from the families' catalogs (<c>PrimitiveKernels</c>,
/// <c>FastWeightRnnKernels</c>, <c>LstmKernels</c>, …) for the PTX check (docs/gpu.md). Nothing in the library uses
/// this list: each family loads its kernels through its own catalog. FastWeights.Model adds its own kernels to it.
/// </summary>
/// <remarks>
/// A catalog is a static class whose public static <see cref="KernelEntry"/> fields are made with
/// <see cref="KernelEntry.Grouped{T}"/> and <see cref="KernelEntry.AutoGrouped{T}"/>; <see cref="KernelEntry.Collect"/>
/// lists them. A test fails when an entry is declared in a catalog that is not collected here.
/// </remarks>
public static class KernelEntries
{
    /// <summary>Every kernel FastWeights.Kernels itself loads, family by family, each catalog in declaration order.</summary>
    public static IReadOnlyList<KernelEntry> Library { get; } =
    [
        .. KernelEntry.Collect(typeof(PrimitiveKernels)),
        .. KernelEntry.Collect(typeof(FastWeightRnnKernels)),
        .. KernelEntry.Collect(typeof(LstmKernels)),
        .. KernelEntry.Collect(typeof(GruKernels)),
        .. KernelEntry.Collect(typeof(HyperLstmKernels)),
        .. KernelEntry.Collect(typeof(LinearFastWeightKernels)),
        .. KernelEntry.Collect(typeof(BaselineKernels)),
    ];
}
