namespace FastWeights.Bench.Benchmarks;

/// <summary>
/// The (B, T) values and fixed sizes of <see cref="LinearFastWeightBenchmarks"/>, per accelerator: heads, d and m fixed,
/// DPFP-1 (d' = 2d), both rules normalised.
/// </summary>
internal sealed record LinearBenchmarkGrid(int[] Batches, int[] Times, int Heads, int KeySize, int ValueSize)
{
    /// <summary>CPU accelerator: small enough that a dry run of every case takes seconds on 2 cores.</summary>
    public static LinearBenchmarkGrid Cpu { get; } = new([8], [64, 256], 4, 16, 16);

    /// <summary>CUDA: the sizes of a small language-model layer (never run: no GPU so far).</summary>
    public static LinearBenchmarkGrid Cuda { get; } = new([32], [256, 1024, 4096], 8, 32, 64);

    public static LinearBenchmarkGrid For(string accelerator) => accelerator == KernelBenchmarkEnvironment.Cuda ? Cuda : Cpu;

    /// <summary>The grid of this run's accelerator.</summary>
    public static LinearBenchmarkGrid Current => For(KernelBenchmarkEnvironment.Current);
}
