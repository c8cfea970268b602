namespace FastWeights.Kernels.Primitives;

/// <summary>
/// How many consecutive output elements one thread of an element-wise kernel computes. On a GPU, one
/// (threads are cheap, parallelism matters). On the ILGPU CPU accelerator every simulated thread costs
/// a fixed overhead that dwarfs a short dot product (measured: the layer's element-wise kernels took
/// more time than its recurrence at B=128, T=11, H=50), while only a few cores run them: there a
/// thread takes a block so that about <see cref="CpuThreadsPerCore"/> threads per core remain.
/// </summary>
internal static class ElementBlocks
{
    /// <summary>Threads per core kept on the CPU accelerator (enough for load balance).</summary>
    public const int CpuThreadsPerCore = 8;

    /// <summary>Elements per thread for <paramref name="total"/> elements on <paramref name="accelerator"/>.</summary>
    public static int For(Accelerator accelerator, long total)
    {
        if (accelerator.AcceleratorType != AcceleratorType.CPU || total <= 0) return 1;
        long threads = (long)Math.Max(Environment.ProcessorCount, 1) * CpuThreadsPerCore;
        return (int)Math.Clamp((total + threads - 1) / threads, 1, int.MaxValue);
    }

    /// <summary>Threads to launch for <paramref name="total"/> elements in blocks of <paramref name="block"/>.</summary>
    public static int Threads(long total, int block) => (int)((total + block - 1) / block);
}
