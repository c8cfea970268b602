using FastWeights.Bench.Ptx;

namespace FastWeights.Tests.Bench.Ptx;

/// <summary>Reading <c>ptxas -v</c> and the group size its registers allow.</summary>
public sealed class PtxasReportTests
{
    private const string Clean = """
        ptxas info    : 0 bytes gmem
        ptxas info    : Compiling entry function 'Kernel_GroupKernel' for 'sm_90'
        ptxas info    : Function properties for Kernel_GroupKernel
            0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
        ptxas info    : Used 88 registers, 16 bytes smem, 400 bytes cmem[0]
        """;

    private const string Spilling = """
        ptxas info    : Compiling entry function 'k' for 'sm_70'
        ptxas info    : Function properties for k
            24 bytes stack frame, 20 bytes spill stores, 12 bytes spill loads
        ptxas info    : Used 255 registers, 24 bytes lmem, 368 bytes cmem[0]
        """;

    [Test]
    public void ReadsRegistersSharedMemoryAndSpills()
    {
        var clean = PtxasReport.Parse(Clean);
        var spilling = PtxasReport.Parse(Spilling);
        Assert.Multiple(() =>
        {
            Assert.That(clean, Is.EqualTo(new PtxasReport(88, 0, 0, 0, 0, 16)));
            Assert.That(clean.UsesLocalMemory, Is.False);
            Assert.That(spilling, Is.EqualTo(new PtxasReport(255, 20, 12, 24, 24, 0)));
            Assert.That(spilling.UsesLocalMemory, Is.True);
            Assert.That(spilling.SpillBytes, Is.EqualTo(32));
        });
    }

    [Test]
    public void NoRegisterLine_IsAFormatError() =>
        Assert.That(() => PtxasReport.Parse("ptxas fatal   : Unresolved extern function 'f'"), Throws.TypeOf<FormatException>());

    /// <summary>
    /// 65536 registers per SM, allocated per warp in units of 256: 64 registers → 32 warps (1024 threads);
    /// 66 → 72 per thread → 2304 per warp → 28 warps; 88 → 2816 → 23 warps; 255 → 8192 → 8 warps.
    /// </summary>
    [TestCase(1, 1024)]
    [TestCase(64, 1024)]
    [TestCase(65, 896)]
    [TestCase(66, 896)]
    [TestCase(88, 736)]
    [TestCase(104, 608)]
    [TestCase(255, 256)]
    public void MaxThreadsPerGroup_FollowsTheRegisterFile(int registers, int threads) =>
        Assert.That(PtxasReport.MaxThreadsFor(registers), Is.EqualTo(threads));
}
