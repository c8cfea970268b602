using FastWeights.Kernels.Core;
using static FastWeights.Kernels.Core.KernelEntry;

namespace FastWeights.Model.Ops;

/// <summary>
/// Every kernel of FastWeights.Model.Ops, and the only way its ops loads them (each loaded once per accelerator);
/// the root ModelKernelCatalog lists these with the rest of the library's kernels for the PTX check (docs/gpu.md).
/// </summary>
internal static class OpsKernelCatalog
{
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

    /// <summary>This folder's entries, in declaration order.</summary>
    public static IReadOnlyList<KernelEntry> All { get; } = Collect(typeof(OpsKernelCatalog));
}
