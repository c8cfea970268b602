namespace FastWeights.Kernels.Core;

/// <summary>
/// Group sizes from the compiled kernel, not from H alone: a CUDA function whose registers do not fit
/// <c>threads × registers</c> in the SM's register file refuses a launch of that many threads, so the group schedules
/// cap their groups at the function's own limit and spread the rows over the threads they get (docs/gpu.md §2).
/// </summary>
internal static class KernelLimits
{
    /// <summary>CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK: the most threads a block of this function may have.</summary>
    internal const int FunctionMaxThreadsPerBlock = 0;

    /// <summary>
    /// The most threads per group <paramref name="kernel"/> can be launched with on <paramref name="accelerator"/>: on
    /// CUDA the loaded function's <c>CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK</c> (registers and the device limit
    /// folded in), elsewhere — or where the driver cannot be asked — the accelerator's maximum group size.
    /// </summary>
    public static int MaxGroupSize<TDelegate>(Accelerator accelerator, TDelegate kernel) where TDelegate : Delegate
    {
        int device = Math.Max(accelerator.MaxNumThreadsPerGroup, 1);
        return CudaSharedMemory.TryGetFunctionAttribute(accelerator, kernel, FunctionMaxThreadsPerBlock, out int limit) && limit > 0
            ? Math.Min(limit, device)
            : device;
    }

    /// <summary>
    /// Threads per group for <paramref name="rows"/> rows, one row per thread, rounded up to a whole warp and capped at
    /// <paramref name="limit"/> rounded down to whole warps (at least one thread): the group schedules' group size.
    /// Above the cap each thread takes rows k, k + G, k + 2G, ….
    /// </summary>
    public static int GroupSize(long rows, int warp, int limit)
    {
        warp = Math.Max(warp, 1);
        long wanted = Math.Max((rows + warp - 1) / warp * warp, warp);
        long capped = limit >= warp ? limit / warp * warp : Math.Max(limit, 1);
        return (int)Math.Min(wanted, capped);
    }
}
