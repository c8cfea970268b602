using System.Globalization;
using System.Text.RegularExpressions;

namespace FastWeights.Bench.Ptx;

/// <summary>
/// What <c>ptxas -v</c> says about one kernel for one architecture: registers per thread, spills, stack (local
/// memory) and static shared memory, and the threads per group those registers allow.
/// </summary>
internal sealed partial record PtxasReport(int Registers, int SpillStoreBytes, int SpillLoadBytes, int StackBytes,
    int LocalBytes, int StaticSharedBytes)
{
    /// <summary>Registers of one SM's register file (every architecture from sm_70 to sm_90), and the most a block may use.</summary>
    public const int RegisterFile = 65536;

    /// <summary>Registers are allocated to warps in units of this many (sm_70..sm_90).</summary>
    public const int WarpAllocationUnit = 256;

    /// <summary>The most threads a block may have (sm_70..sm_90).</summary>
    public const int MaxThreadsPerBlock = 1024;

    /// <summary>Threads per warp.</summary>
    public const int WarpSize = 32;

    /// <summary>Spilled bytes, stored and loaded.</summary>
    public int SpillBytes => SpillStoreBytes + SpillLoadBytes;

    /// <summary>Whether any thread uses local memory (spills, a stack frame or lmem).</summary>
    public bool UsesLocalMemory => SpillBytes > 0 || StackBytes > 0 || LocalBytes > 0;

    /// <summary>
    /// The most threads per group these registers allow: whole warps whose registers (rounded up to the allocation unit)
    /// fit the register file, at most 1024 — what <c>CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK</c> reports for a kernel
    /// without a launch bound (shared memory aside, which the launch requests separately).
    /// </summary>
    public int MaxThreadsPerGroup => MaxThreadsFor(Registers);

    /// <summary><see cref="MaxThreadsPerGroup"/> for <paramref name="registers"/> per thread.</summary>
    public static int MaxThreadsFor(int registers)
    {
        int perWarp = (Math.Max(registers, 1) * WarpSize + WarpAllocationUnit - 1) / WarpAllocationUnit * WarpAllocationUnit;
        return Math.Min(MaxThreadsPerBlock, RegisterFile / perWarp * WarpSize);
    }

    /// <summary>Reads the report of the one entry function in <paramref name="ptxasOutput"/> (ptxas -v writes it to stderr).</summary>
    /// <exception cref="FormatException">No "Used N registers" line.</exception>
    public static PtxasReport Parse(string ptxasOutput)
    {
        var used = UsedLine().Match(ptxasOutput);
        if (!used.Success) throw new FormatException("ptxas -v printed no 'Used N registers' line.");
        string usedText = used.Value;
        var frame = FrameLine().Match(ptxasOutput);
        return new PtxasReport(
            Registers: Int(used.Groups[1].Value),
            SpillStoreBytes: frame.Success ? Int(frame.Groups[2].Value) : 0,
            SpillLoadBytes: frame.Success ? Int(frame.Groups[3].Value) : 0,
            StackBytes: frame.Success ? Int(frame.Groups[1].Value) : 0,
            LocalBytes: Bytes(usedText, "lmem"),
            StaticSharedBytes: Bytes(usedText, "smem"));
    }

    private static int Bytes(string usedLine, string space)
    {
        var m = Regex.Match(usedLine, $@"(\d+) bytes {space}");
        return m.Success ? Int(m.Groups[1].Value) : 0;
    }

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Used (\d+) registers[^\n]*")]
    private static partial Regex UsedLine();

    [GeneratedRegex(@"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")]
    private static partial Regex FrameLine();
}
