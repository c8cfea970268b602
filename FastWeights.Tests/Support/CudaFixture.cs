namespace FastWeights.Tests.Support;

/// <summary>
/// A fixture whose tests run on the CPU accelerator, or, where <see cref="OnCuda"/> says so (its <c>Gpu</c> variant), on
/// the first CUDA device, opened once per fixture through <see cref="CudaDevice.OpenOrIgnore"/> (ignored, never failed,
/// where ILGPU sees no CUDA device) and disposed after.
/// </summary>
public abstract class AcceleratorFixture
{
    private ComputeDevice? cuda;

    /// <summary>Whether the tests run on CUDA rather than the CPU accelerator.</summary>
    protected virtual bool OnCuda => false;

    /// <summary>The accelerator the tests run on.</summary>
    protected Accelerator Acc => OnCuda ? cuda!.Accelerator : Devices.Cpu.Accelerator;

    [OneTimeSetUp]
    public void OpenDevice()
    {
        if (OnCuda) cuda = CudaDevice.OpenOrIgnore();
    }

    [OneTimeTearDown]
    public void CloseDevice() => cuda?.Dispose();
}

/// <summary>The base of the <c>Gpu</c> fixtures (each still carries <c>[Category("Gpu")]</c> itself): <see cref="Cuda"/> is the CUDA accelerator.</summary>
public abstract class CudaFixture : AcceleratorFixture
{
    protected sealed override bool OnCuda => true;

    /// <summary>The CUDA accelerator; only reached by a test when setup did not ignore the fixture.</summary>
    protected Accelerator Cuda => Acc;
}
