namespace FastWeights.Tests.Model.Ops;

/// <summary>
/// Every test of <see cref="OpKernelTests"/> on a real CUDA device. Ignored (reported as skipped, never failed) where
/// ILGPU sees no CUDA device. Tolerance 1e-4 instead of 1e-5: on CUDA exp and log (softmax cross-entropy) compile
/// to approximate PTX instructions (~1e-6 relative each, docs/design.md §8), and sums may be ordered differently.
/// </summary>
[Category("Gpu")]
public sealed class OpKernelCudaTests : OpKernelTests
{
    protected override bool OnCuda => true;

    protected override double Tol => 1e-4;
}
