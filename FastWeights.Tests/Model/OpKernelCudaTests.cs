using FastWeights.Kernels.Core;
using ILGPU.Runtime;
using FastWeights.Tests.Support;
using NUnit.Framework;

namespace FastWeights.Tests.Model;

/// <summary>
/// Every test of <see cref="OpKernelTests"/> on a real CUDA device. Ignored (reported as skipped, never failed) where
/// ILGPU sees no CUDA device. Tolerance 1e-4 instead of 1e-5: on CUDA exp and log (softmax cross-entropy) compile
/// to approximate PTX instructions (~1e-6 relative each, docs/design.md §8), and sums may be ordered differently.
/// </summary>
[TestFixture]
[Category("Gpu")]
public sealed class OpKernelCudaTests : OpKernelTests
{
    private ComputeDevice? device;

    protected override Accelerator Acc => device!.Accelerator;

    protected override double Tol => 1e-4;

    [OneTimeSetUp]
    public void OpenCuda()
    {
        device = CudaDevice.OpenOrIgnore();
    }

    [OneTimeTearDown]
    public void CloseCuda() => device?.Dispose();
}
