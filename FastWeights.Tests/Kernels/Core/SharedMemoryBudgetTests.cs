using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Kernels.Core;

/// <summary>
/// The shared-memory limit selection and the on-chip plan (docs/design.md §6.2), as pure functions, and
/// that the CPU accelerator keeps the 48 KiB rule. The CUDA opt-in itself needs a GPU and is not tested here.
/// </summary>
public sealed class SharedMemoryBudgetTests
{
    /// <summary>CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN on an H100: 227 KiB.</summary>
    private const int H100OptIn = 227 * 1024;

    private static int Group(int hidden, int warp = 32, int maxThreads = 1024) =>
        Math.Min((hidden + warp - 1) / warp * warp, maxThreads);

    [TestCase(int.MaxValue, 0, 48 * 1024, TestName = "CPU accelerator: 48 KiB")]
    [TestCase(48 * 1024, 0, 48 * 1024, TestName = "CUDA without opt-in: 48 KiB")]
    [TestCase(48 * 1024, H100OptIn, H100OptIn, TestName = "CUDA H100 with opt-in: 227 KiB")]
    [TestCase(16 * 1024, 0, 16 * 1024, TestName = "a device below 48 KiB keeps its own maximum")]
    [TestCase(48 * 1024, 32 * 1024, 48 * 1024, TestName = "an opt-in below the default never lowers the limit")]
    public void GroupLimit(int maxPerGroup, int optIn, int expected) =>
        Assert.That(SharedMemoryBudget.GroupLimit(maxPerGroup, optIn), Is.EqualTo((long)expected));

    [Test]
    public void NeedsOptInOnlyAbove48KiB()
    {
        Assert.That(SharedMemoryBudget.NeedsOptIn(48 * 1024), Is.False);
        Assert.That(SharedMemoryBudget.NeedsOptIn(48 * 1024 + 1), Is.True);
    }

    /// <summary>The largest H whose forward (A) and reverse (A and Ā) stay on chip, warp 32.</summary>
    [TestCase(48 * 1024, 108, 77, TestName = "48 KiB: forward H <= 108, reverse H <= 77")]
    [TestCase(H100OptIn, 238, 169, TestName = "H100 opt-in: forward H <= 238, reverse H <= 169")]
    public void OnChipThresholds(int limit, int lastForward, int lastReverse)
    {
        Assert.Multiple(() =>
        {
            Assert.That(FastWeightSharedMemory.Plan(lastForward, Group(lastForward), limit).ForwardFastWeightsOnChip, Is.True);
            Assert.That(FastWeightSharedMemory.Plan(lastForward + 1, Group(lastForward + 1), limit).ForwardFastWeightsOnChip, Is.False);
            Assert.That(FastWeightSharedMemory.Plan(lastReverse, Group(lastReverse), limit).ReverseFastWeightsOnChip, Is.True);
            Assert.That(FastWeightSharedMemory.Plan(lastReverse + 1, Group(lastReverse + 1), limit).ReverseFastWeightsOnChip, Is.False);
        });
    }

    [Test]
    public void BytesFollowTheDesignFormulas()
    {
        // H = 64, G = 64: forward 4·(2·64 + 3·64 + 64²), reverse 4·(2·64 + 2·64 + 2·64²) (docs/design.md §6.2).
        Assert.That(FastWeightSharedMemory.ForwardBytes(64, 64, true), Is.EqualTo(17_664));
        Assert.That(FastWeightSharedMemory.ReverseBytes(64, 64, true), Is.EqualTo(33_792));
        Assert.That(FastWeightSharedMemory.ForwardBytes(64, 64, false), Is.EqualTo(4 * (2 * 64 + 3 * 64)));
        Assert.That(FastWeightSharedMemory.ReverseBytes(64, 64, false), Is.EqualTo(4 * (2 * 64 + 2 * 64)));
    }

    [Test]
    public void VectorsFitUntilTheyAloneExceedTheLimit()
    {
        // G capped at 1024: the forward vectors need 4·(2048 + 3H) bytes.
        Assert.That(FastWeightSharedMemory.Plan(3413, 1024, 48 * 1024).VectorsFit, Is.True);
        Assert.That(FastWeightSharedMemory.Plan(3414, 1024, 48 * 1024).VectorsFit, Is.False);
        Assert.That(FastWeightSharedMemory.Plan(3414, 1024, H100OptIn).VectorsFit, Is.True);
    }

    [Test]
    public void CpuAcceleratorHasNoOptInAndNeedsNone()
    {
        var acc = Devices.CpuNvidia.Accelerator;
        Assert.That(CudaSharedMemory.OptInLimit(acc), Is.EqualTo(0));
        Action<int> notAKernel = _ => { };
        Assert.That(CudaSharedMemory.Allow(acc, notAKernel, 1L << 20), Is.True, "off CUDA nothing is opted in and nothing is refused");
    }

    /// <summary>The CPU path is unchanged: H = 130 is above the 48 KiB thresholds, so both sweeps use global memory.</summary>
    [TestCase(64, true, true)]
    [TestCase(100, true, false)]
    [TestCase(130, false, false)]
    public void LayerOnTheCpuKeepsThe48KiBRule(int hidden, bool forwardOnChip, bool reverseOnChip)
    {
        using var layer = new FastWeightRnnLayer(Devices.CpuNvidia.Accelerator,
            new FastWeightRnnOptions { InputSize = 3, HiddenSize = hidden, Schedule = SweepSchedule.Group });
        Assert.Multiple(() =>
        {
            Assert.That(layer.ForwardFastWeightsOnChip, Is.EqualTo(forwardOnChip));
            Assert.That(layer.ReverseFastWeightsOnChip, Is.EqualTo(reverseOnChip));
        });
    }

    [Test]
    public void DriverLibraryNamesAreKnownForThisOs()
    {
        if (OperatingSystem.IsLinux())
            Assert.That(CudaSharedMemory.DriverLibraryNames(), Does.Contain("libcuda.so.1"));
        else if (OperatingSystem.IsWindows())
            Assert.That(CudaSharedMemory.DriverLibraryNames(), Does.Contain("nvcuda.dll"));
        else
            Assert.Pass("no CUDA driver on this OS");
    }
}
