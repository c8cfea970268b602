using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace FastWeights.Kernels.Core;

/// <summary>
/// An ILGPU context and one accelerator from it, with ILGPU.Algorithms enabled (the kernels use its
/// XMath). Owns both; dispose it last, after every buffer and layer made on it.
/// </summary>
public sealed class ComputeDevice : IDisposable
{
    private ComputeDevice(Context context, Accelerator accelerator, AcceleratorKind kind)
    {
        Context = context;
        Accelerator = accelerator;
        Kind = kind;
    }

    /// <summary>The ILGPU context.</summary>
    public Context Context { get; }

    /// <summary>The accelerator buffers and layers are made on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The kind actually opened (never <see cref="AcceleratorKind.Auto"/>).</summary>
    public AcceleratorKind Kind { get; }

    /// <summary>Whether a CUDA device is visible to ILGPU on this machine.</summary>
    public static bool CudaAvailable()
    {
        try
        {
            using var context = Context.Create(b => b.Cuda());
            return context.GetCudaDevices().Count > 0;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // No driver, or a driver ILGPU cannot load: treated as no CUDA device.
            return false;
        }
    }

    /// <summary>Opens an accelerator of the given kind.</summary>
    /// <param name="kind">What to open; <see cref="AcceleratorKind.Auto"/> prefers CUDA.</param>
    /// <exception cref="InvalidOperationException"><see cref="AcceleratorKind.Cuda"/> was asked for and no CUDA device exists.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Unknown kind.</exception>
    public static ComputeDevice Open(AcceleratorKind kind = AcceleratorKind.Auto)
    {
        switch (kind)
        {
            case AcceleratorKind.Auto:
                return CudaAvailable() ? Open(AcceleratorKind.Cuda) : Open(AcceleratorKind.Cpu);
            case AcceleratorKind.Cpu:
            case AcceleratorKind.CpuNvidia:
            {
                var cpuKind = kind == AcceleratorKind.Cpu ? CPUDeviceKind.Default : CPUDeviceKind.Nvidia;
                var context = Context.Create(b => b.CPU(cpuKind).EnableAlgorithms());
                var accelerator = context.GetCPUDevice(0).CreateAccelerator(context);
                // The GPU-shaped device exists to run kernels as a GPU would: keep it in ILGPU's simulator.
                if (kind == AcceleratorKind.CpuNvidia)
                    HostExecution.Simulate(accelerator);
                return new ComputeDevice(context, accelerator, kind);
            }
            case AcceleratorKind.Cuda:
            {
                Context? context = null;
                try
                {
                    context = Context.Create(b => b.Cuda().EnableAlgorithms());
                    if (context.GetCudaDevices().Count == 0)
                        throw new InvalidOperationException("No CUDA device is visible to ILGPU on this machine.");
                    return new ComputeDevice(context, context.GetCudaDevice(0).CreateAccelerator(context), kind);
                }
                catch
                {
                    context?.Dispose();
                    throw;
                }
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown accelerator kind.");
        }
    }

    /// <summary>One line naming the device, for logs and benchmark tables.</summary>
    public string Describe() =>
        $"{Accelerator.Name} ({Kind}, warp {Accelerator.WarpSize}, ≤{Accelerator.MaxNumThreadsPerGroup} threads/group"
        + (Kind == AcceleratorKind.Cuda ? $", {Accelerator.MemorySize / (1024 * 1024)} MiB)" : $", {Environment.ProcessorCount} cores)");

    /// <summary>Disposes the accelerator, then the context.</summary>
    public void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }
}
