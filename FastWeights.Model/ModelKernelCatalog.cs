using FastWeights.Kernels.Compilation;
using FastWeights.Kernels.Core;
using FastWeights.Kernels.Primitives;
using FastWeights.Model.Ops;
using FastWeights.Model.Training;
using ILGPU;
using ILGPU.Runtime;
using static FastWeights.Kernels.Core.KernelEntry;

namespace FastWeights.Model;

/// <summary>
/// Every kernel FastWeights.Model loads, and the only way its ops load them; <see cref="Library"/> adds
/// FastWeights.Kernels' catalog, giving every kernel the library can launch (what the PTX check compiles, docs/gpu.md).
/// </summary>
internal static class ModelKernelCatalog
{
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, AdamArgs>> Adam = AutoGrouped<AdamArgs>(TrainingKernels.AdamKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, SquareSumArgs>> SquareSum = AutoGrouped<SquareSumArgs>(TrainingKernels.SquareSumKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LastStepArgs>> LastStepForward = AutoGrouped<LastStepArgs>(LastStepKernels.Forward);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LastStepArgs>> LastStepBackward = AutoGrouped<LastStepArgs>(LastStepKernels.Backward);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, SoftmaxCrossEntropyArgs>> SoftmaxCrossEntropyForward = AutoGrouped<SoftmaxCrossEntropyArgs>(SoftmaxCrossEntropyKernels.Forward);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, SoftmaxCrossEntropyArgs>> SoftmaxCrossEntropyBackward = AutoGrouped<SoftmaxCrossEntropyArgs>(SoftmaxCrossEntropyKernels.Backward);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, SequenceCrossEntropyArgs>> SequenceCrossEntropyForward = AutoGrouped<SequenceCrossEntropyArgs>(SequenceCrossEntropyKernels.Forward);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, SequenceCrossEntropyArgs>> SequenceCrossEntropyBackward = AutoGrouped<SequenceCrossEntropyArgs>(SequenceCrossEntropyKernels.Backward);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, TokenShiftArgs>> TokenShiftForward = AutoGrouped<TokenShiftArgs>(TokenShiftKernels.Forward);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, TokenShiftArgs>> TokenShiftBackward = AutoGrouped<TokenShiftArgs>(TokenShiftKernels.Backward);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, DenseArgs>> DenseForward = AutoGrouped<DenseArgs>(DenseKernels.Forward, DenseKernels.ForwardHost);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, DenseArgs>> DenseParameterGradients = AutoGrouped<DenseArgs>(DenseKernels.ParameterGradients, DenseKernels.ParameterGradientsHost);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, DenseArgs>> DenseInputGradient = AutoGrouped<DenseArgs>(DenseKernels.InputGradient, DenseKernels.InputGradientHost);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>> AddForward = AutoGrouped<ArrayView<float>, ArrayView<float>, ArrayView<float>>(AddKernels.Forward);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, EmbeddingArgs>> EmbeddingForward = AutoGrouped<EmbeddingArgs>(EmbeddingKernels.Forward);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, EmbeddingArgs>> EmbeddingBackward = AutoGrouped<EmbeddingArgs>(EmbeddingKernels.Backward);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LayerNormArgs>> LayerNormForward = AutoGrouped<LayerNormArgs>(LayerNormKernels.Forward);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LayerNormArgs>> LayerNormParameterGradients = AutoGrouped<LayerNormArgs>(LayerNormKernels.ParameterGradients);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LayerNormArgs>> LayerNormInputGradient = AutoGrouped<LayerNormArgs>(LayerNormKernels.InputGradient);

    /// <summary>This assembly's entries, in declaration order.</summary>
    public static IReadOnlyList<KernelEntry> All { get; } = Collect(typeof(ModelKernelCatalog));

    /// <summary>Every kernel the library loads: FastWeights.Kernels' catalog, then this one.</summary>
    public static IReadOnlyList<KernelEntry> Library { get; } = [.. KernelEntries.Library, .. All];
}
