namespace FastWeights.Tests.Support;

/// <summary>The one way the <c>Gpu</c> test fixtures open CUDA.</summary>
public static class CudaDevice
{
    /// <summary>
    /// Opens the first CUDA device, or ends the calling fixture's setup with <see cref="Assert.Ignore(string)"/>: where ILGPU sees
    /// no CUDA device the Gpu tests are reported as ignored (skipped), never failed and never silently passed.
    /// </summary>
    public static ComputeDevice OpenOrIgnore()
    {
        if (!ComputeDevice.CudaAvailable())
            Assert.Ignore("No CUDA device visible to ILGPU on this machine: the Gpu tests are ignored, not failed.");
        var device = ComputeDevice.Open(AcceleratorKind.Cuda);
        TestContext.Out.WriteLine(device.Describe());
        return device;
    }
}
