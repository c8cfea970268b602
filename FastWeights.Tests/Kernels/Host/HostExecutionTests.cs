namespace FastWeights.Tests.Kernels.Host;

/// <summary>Where host execution applies, and that a host-run index kernel calls its body exactly once per index.</summary>
public sealed class HostExecutionTests
{
    /// <summary>The kernels' argument (public: ILGPU's simulator loads it from a dynamic assembly).</summary>
    public struct CountArgs
    {
        public ArrayView<int> Counts;
    }

    public static void CountArgsKernel(Index1D index, CountArgs a) => a.Counts[index] += 1;

    public static void HostCountArgsKernel(Index1D index, CountArgs a) => a.Counts[index] += 10;

    [Test]
    public void AppliesToTheDefaultCpuDeviceOnlyNotToTheSimulatedGpuShapedOne()
    {
        Assert.That(HostExecution.Applies(Devices.Cpu.Accelerator), Is.True);
        Assert.That(HostExecution.Applies(Devices.CpuNvidia.Accelerator), Is.False);
        Assert.Throws<ArgumentNullException>(() => HostExecution.Applies(null!));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(1001)]
    public void EveryIndexRunsExactlyOnceOnBothPaths(int extent)
    {
        foreach (var device in new[] { Devices.Cpu, Devices.CpuNvidia })
        {
            var acc = device.Accelerator;
            using var counts = acc.Allocate1D<int>(extent + 1);
            counts.MemSetToZero();
            var kernel = acc.LoadIndexKernel<CountArgs>(CountArgsKernel);
            kernel(acc.DefaultStream, extent, new CountArgs { Counts = counts.View });
            acc.Synchronize();
            var result = counts.GetAsArray1D();
            Assert.That(result.Take(extent), Has.All.EqualTo(1), $"{device.Kind}: each index once");
            Assert.That(result[extent], Is.Zero, $"{device.Kind}: nothing past the extent");
        }
    }

    [Test]
    public void TheHostBodyRunsWhereHostExecutionAppliesAndTheKernelElsewhere()
    {
        foreach (var (device, expected) in new[] { (Devices.Cpu, 10), (Devices.CpuNvidia, 1) })
        {
            var acc = device.Accelerator;
            using var counts = acc.Allocate1D<int>(5);
            counts.MemSetToZero();
            acc.LoadIndexKernel<CountArgs>(CountArgsKernel, HostCountArgsKernel)(acc.DefaultStream, 5, new CountArgs { Counts = counts.View });
            acc.Synchronize();
            Assert.That(counts.GetAsArray1D(), Has.All.EqualTo(expected), device.Kind.ToString());
        }
    }

    [Test]
    public void ThreeArgumentKernelsRunOnHostToo()
    {
        var acc = Devices.Cpu.Accelerator;
        using var counts = acc.Allocate1D<int>(7);
        counts.MemSetToZero();
        acc.LoadIndexKernel<ArrayView<int>, ArrayView<int>, int>((i, c, _, k) => c[i] += k)(acc.DefaultStream, 7, counts.View, counts.View, 3);
        Assert.That(counts.GetAsArray1D(), Has.All.EqualTo(3));
    }

    [Test]
    public void TheHostScheduleIsAutoOnTheCpuAndRefusedOnTheSimulatedDevice()
    {
        Assert.That(SweepSchedule.Auto.ResolveWithHostFor(Devices.Cpu.Accelerator), Is.EqualTo(SweepSchedule.Host));
        Assert.That(SweepSchedule.Thread.ResolveWithHostFor(Devices.Cpu.Accelerator), Is.EqualTo(SweepSchedule.Thread));
        Assert.That(SweepSchedule.Auto.ResolveWithHostFor(Devices.CpuNvidia.Accelerator), Is.EqualTo(SweepSchedule.Thread));
        var e = Assert.Throws<ArgumentException>(() => SweepSchedule.Host.ResolveWithHostFor(Devices.CpuNvidia.Accelerator));
        Assert.That(e!.ParamName, Is.EqualTo("schedule"));
        // Families without a host body run their thread kernel (as host loops where host execution applies).
        Assert.That(SweepSchedule.Host.ResolveFor(Devices.Cpu.Accelerator), Is.EqualTo(SweepSchedule.Thread));
    }

    [Test]
    public void ForCallsTheBodyForEveryIndexAcrossCores()
    {
        foreach (int count in new[] { 0, 1, 2, 5, 10_000 })
        {
            var seen = new int[Math.Max(count, 1)];
            HostExecution.For(count, i => Interlocked.Increment(ref seen[i]));
            Assert.That(seen.Take(count), Has.All.EqualTo(1), $"count {count}");
        }
    }
}
