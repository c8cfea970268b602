namespace FastWeights.Tests.Model.Layers;

/// <summary>
/// Every test of <see cref="DpfpBlockKernelTests"/> on a real CUDA device; ignored (skipped, never failed) where ILGPU
/// sees no CUDA device. Tolerances 1e-4 (forward) and 3e-4 (gradients; 7e-5 measured on the CPU for DPFP-3) instead of 1e-5 and 1e-4: CUDA's sqrt, exp and division compile to approximate
/// instructions (~1e-6 relative each, docs/design.md §8) and the memory's group schedule sums in another order.
/// </summary>
[Category("Gpu")]
public sealed class DpfpBlockCudaTests : DpfpBlockKernelTests
{
    protected override bool OnCuda => true;

    protected override double ForwardTolerance => 1e-4;

    protected override double GradientTolerance => 3e-4;
}
