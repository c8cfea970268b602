using BenchmarkDotNet.Attributes;
using FastWeights.Kernels.Core;
using ILGPU.Runtime;

namespace FastWeights.Bench.Benchmarks;

/// <summary>
/// What every kernel benchmark suite shares: the accelerator parameter and the life of a case around its measured
/// methods. The global setup opens the accelerator, refuses a case the device cannot hold (<see cref="CaseMemory"/>),
/// lets the suite allocate its layer, workspace and tensors (<see cref="SetUp"/>), records the device bytes of the
/// layer's own state (<see cref="DeviceBytesColumn"/>) and warms up (<see cref="WarmUp"/>: one forward and one backward,
/// so the kernels are compiled and a forward's tape is in place before anything is measured). A setup that fails frees
/// what it allocated and names the case. The global cleanup frees the suite's state, then the device.
/// </summary>
public abstract class DeviceBenchmark
{
    private readonly Type suite;
    private ComputeDevice? device;

    /// <summary>The suite is <paramref name="suite"/>: the declared type names its "Device bytes" entries.</summary>
    private protected DeviceBenchmark(Type suite)
    {
        this.suite = suite;
    }

    /// <summary>
    /// cpu or cuda: this run's accelerator (one value per run). Each suite declares it as its first parameter (with
    /// <see cref="Accelerators"/> as the source): BenchmarkDotNet lists a suite's own parameters before its base's.
    /// </summary>
    public abstract string Accelerator { get; set; }

    /// <summary>The values of <see cref="Accelerator"/>: this run's accelerator.</summary>
    public static IEnumerable<string> Accelerators => [KernelBenchmarkEnvironment.Current];

    /// <summary>The accelerator's default stream, which the suite queues on and waits for (after the setup).</summary>
    private protected AcceleratorStream? Stream { get; private set; }

    /// <summary>The bytes the case allocates (its workspace and tensors), checked against the device before the setup allocates.</summary>
    internal abstract long CaseBytes();

    /// <summary>The case in messages, e.g. "Fused" or "Fused Delta".</summary>
    private protected abstract string CaseName { get; }

    /// <summary>The case's sizes in messages, e.g. "B=8 T=16".</summary>
    private protected abstract string CaseSizes { get; }

    /// <summary>Every parameter of the suite with its value: the key of the case's "Device bytes" entry.</summary>
    private protected abstract IEnumerable<(string Name, object Value)> Parameters { get; }

    /// <summary>Allocates the case's layer, workspace and tensors on <paramref name="accelerator"/>; returns the bytes of the layer's own state.</summary>
    private protected abstract long SetUp(Accelerator accelerator);

    /// <summary>One forward and one backward, waited for, before anything is measured.</summary>
    private protected abstract void WarmUp();

    /// <summary>Refuses a case the suite cannot run before anything is opened (by default none).</summary>
    private protected virtual void CheckCase()
    {
    }

    /// <summary>Frees what <see cref="SetUp"/> allocated (safe when it allocated nothing).</summary>
    private protected abstract void Release();

    [GlobalSetup]
    public void GlobalSetup()
    {
        GlobalCleanup();
        CheckCase();
        try
        {
            device = KernelBenchmarkEnvironment.Open(Accelerator);
            CaseMemory.Require(device, CaseBytes(), $"the case {CaseName} {CaseSizes}");
            Stream = device.Accelerator.DefaultStream;
            long bytes = SetUp(device.Accelerator);
            DeviceBytesColumn.Record(suite, Parameters, bytes);
            WarmUp();
        }
        catch (Exception e)
        {
            GlobalCleanup();
            throw new InvalidOperationException($"setup of {CaseName} at {CaseSizes} on {Accelerator} failed: {e.Message}", e);
        }
    }

    /// <summary>Frees everything the setup allocated. Safe to call twice.</summary>
    [GlobalCleanup]
    public void GlobalCleanup()
    {
        Release();
        Stream = null;
        device?.Dispose();
        device = null;
    }
}
