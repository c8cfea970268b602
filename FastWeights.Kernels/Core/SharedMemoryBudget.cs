namespace FastWeights.Kernels.Core;

/// <summary>
/// The shared-memory limit a group kernel is planned against (what each family keeps on chip follows from it: e.g.
/// <c>FastWeightSharedMemory</c> for the fast-weight RNN).
/// </summary>
/// <remarks>
/// CUDA gives every kernel 48 KiB of dynamic shared memory per block by default. A kernel gets more,
/// up to the device's opt-in maximum (<c>CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN</c>,
/// 227 KiB on an H100), only after its own <c>CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES</c> is
/// raised (<see cref="CudaSharedMemory"/>). Elsewhere (the CPU accelerator) the 48 KiB rule is kept, so
/// that the CPU tests exercise the same decisions a GPU without the opt-in would make.
/// </remarks>
internal static class SharedMemoryBudget
{
    /// <summary>Bytes of dynamic shared memory a CUDA kernel may use per block without opting in.</summary>
    public const int DefaultLimit = 48 * 1024;

    /// <summary>
    /// The per-group limit to plan against: min(<paramref name="maxSharedMemoryPerGroup"/>, 48 KiB),
    /// raised to <paramref name="optInLimit"/> when that is larger.
    /// </summary>
    /// <param name="maxSharedMemoryPerGroup">What the accelerator reports as its per-group maximum
    /// (on CUDA the non-opt-in default, on the CPU accelerator <see cref="int.MaxValue"/>).</param>
    /// <param name="optInLimit">The per-block maximum a kernel can opt into, or 0 when there is none
    /// (not CUDA, the thread schedule, or the driver entry points could not be found).</param>
    public static long GroupLimit(long maxSharedMemoryPerGroup, long optInLimit)
    {
        long baseline = Math.Min(maxSharedMemoryPerGroup, DefaultLimit);
        return Math.Max(baseline, optInLimit);
    }

    /// <summary>Whether a launch with <paramref name="bytes"/> of dynamic shared memory needs the CUDA opt-in.</summary>
    public static bool NeedsOptIn(long bytes) => bytes > DefaultLimit;
}
