using FastWeights.Kernels.Core;
using ILGPU;
using ILGPU.Runtime;
using static FastWeights.Kernels.Core.KernelEntry;

namespace FastWeights.Kernels.Primitives;

/// <summary>
/// The kernels of the primitives every family shares (input projection, parameter-gradient reductions, transpose, finite check).
/// The only way this family loads them (<see cref="KernelEntry{TLauncher}.Load"/>: once per accelerator);
/// <c>KernelEntries.Library</c> (Compilation/) lists these for the PTX check, and a test fails when a <c>Load…Kernel</c>
/// call appears outside the loaders.
/// </summary>
internal static class PrimitiveKernels
{
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, InputProjectionArgs>> InputProjectionKernel = AutoGrouped<InputProjectionArgs>(InputProjection.Kernel, InputProjection.HostKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, OuterProductSumArgs>> OuterProductSum = AutoGrouped<OuterProductSumArgs>(ParameterGradients.OuterProductSumKernel, ParameterGradients.OuterProductSumHostKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, InputGradientArgs>> InputGradient = AutoGrouped<InputGradientArgs>(ParameterGradients.InputGradientKernel, ParameterGradients.InputGradientHostKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, VectorGradientArgs>> VectorGradient = AutoGrouped<VectorGradientArgs>(ParameterGradients.VectorGradientKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, MatrixTransposeArgs>> Transpose = AutoGrouped<MatrixTransposeArgs>(MatrixTranspose.Kernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, int>> Finite = AutoGrouped<ArrayView<float>, ArrayView<int>, int>(FiniteCheck.Kernel);
}
