using FastWeights.Kernels.Baselines;
using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Gru;
using FastWeights.Kernels.HyperLstm;
using FastWeights.Kernels.LinearFastWeights;
using FastWeights.Kernels.Lstm;
using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.Compilation;

/// <summary>
/// Every kernel FastWeights.Kernels loads, collected from the classes that hold them (each kernel's
/// <see cref="KernelEntry"/> is declared beside its method, e.g. <c>LstmForwardSweep.GroupEntry</c>) for the PTX check
/// (docs/gpu.md). Nothing in the library uses this list: a layer loads through the entries themselves.
/// FastWeights.Model adds its own kernels to it.
/// </summary>
/// <remarks>
/// An entry is a public static <see cref="KernelEntry"/> field made with <see cref="KernelEntry.Grouped{T}"/> or
/// <see cref="KernelEntry.AutoGrouped{T}"/>; <see cref="KernelEntry.Collect"/> lists a class's entries. A test fails
/// when an entry is declared in a class that is not collected here.
/// </remarks>
public static class KernelEntries
{
    /// <summary>Every kernel FastWeights.Kernels itself loads, family by family, each class's entries in declaration order.</summary>
    public static IReadOnlyList<KernelEntry> Library { get; } =
    [
        .. KernelEntry.Collect(typeof(InputProjection)),
        .. KernelEntry.Collect(typeof(ParameterGradients)),
        .. KernelEntry.Collect(typeof(MatrixTranspose)),
        .. KernelEntry.Collect(typeof(FiniteCheck)),
        .. KernelEntry.Collect(typeof(ForwardSweep)),
        .. KernelEntry.Collect(typeof(ReverseSweep)),
        .. KernelEntry.Collect(typeof(FastWeightReplay)),
        .. KernelEntry.Collect(typeof(AttentionFormSweep)),
        .. KernelEntry.Collect(typeof(LstmForwardSweep)),
        .. KernelEntry.Collect(typeof(LstmReverseSweep)),
        .. KernelEntry.Collect(typeof(NormParameterGradient)),
        .. KernelEntry.Collect(typeof(GruForwardSweep)),
        .. KernelEntry.Collect(typeof(GruReverseSweep)),
        .. KernelEntry.Collect(typeof(HyperLstmForwardSweep)),
        .. KernelEntry.Collect(typeof(HyperLstmReverseSweep)),
        .. KernelEntry.Collect(typeof(HyperLstmReductions)),
        .. KernelEntry.Collect(typeof(LinearForwardSweep)),
        .. KernelEntry.Collect(typeof(LinearReverseSweep)),
        .. KernelEntry.Collect(typeof(PerStepKernels)),
    ];
}
