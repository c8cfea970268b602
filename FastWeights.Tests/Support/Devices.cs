namespace FastWeights.Tests.Support;

/// <summary>
/// One ILGPU CPU accelerator of each shape for the whole test run: opening a context costs time,
/// and the accelerators are stateless between calls. Disposed at process exit.
/// </summary>
public static class Devices
{
    private static readonly Lazy<ComputeDevice> cpu = new(() => ComputeDevice.Open(AcceleratorKind.Cpu));
    private static readonly Lazy<ComputeDevice> cpuNvidia = new(() => ComputeDevice.Open(AcceleratorKind.CpuNvidia));

    /// <summary>The default CPU device (warp 4, groups ≤ 16).</summary>
    public static ComputeDevice Cpu => cpu.Value;

    /// <summary>The NVIDIA-shaped CPU device (warp 32, groups ≤ 1024), for the group schedule.</summary>
    public static ComputeDevice CpuNvidia => cpuNvidia.Value;

    static Devices()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            if (cpu.IsValueCreated) cpu.Value.Dispose();
            if (cpuNvidia.IsValueCreated) cpuNvidia.Value.Dispose();
        };
    }
}
