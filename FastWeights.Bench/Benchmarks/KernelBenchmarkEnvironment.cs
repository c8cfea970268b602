using FastWeights.Bench.Cli;
using FastWeights.Kernels.Core;

namespace FastWeights.Bench.Benchmarks;

/// <summary>
/// Which accelerator the kernel benchmarks run on, and the size grid that goes with it. The choice travels in
/// the environment variable <see cref="Variable"/> (auto, cpu or cuda; unset means auto), which the
/// <c>kernels</c> command sets from its <c>--accelerator</c> option before BenchmarkDotNet reads the
/// parameter sources, so it also reaches benchmark processes BenchmarkDotNet might start.
/// </summary>
internal static class KernelBenchmarkEnvironment
{
    public const string Variable = "FASTWEIGHTS_BENCH_ACCELERATOR";

    public const string Cpu = "cpu";
    public const string Cuda = "cuda";

    private static readonly Lazy<bool> cudaAvailable = new(ComputeDevice.CudaAvailable);

    /// <summary>auto → cuda when ILGPU sees a CUDA device, else cpu; cpu and cuda as given.</summary>
    /// <exception cref="CommandInputException">Unknown name, or cuda asked for without a CUDA device.</exception>
    public static string Resolve(string? requested) => (requested ?? "auto").Trim().ToLowerInvariant() switch
    {
        "" or "auto" => cudaAvailable.Value ? Cuda : Cpu,
        Cpu => Cpu,
        Cuda => cudaAvailable.Value
            ? Cuda
            : throw new CommandInputException("--accelerator cuda was asked for, but no CUDA device is visible to ILGPU on this machine."),
        _ => throw new CommandInputException($"accelerator must be auto, cpu or cuda, but is '{requested}'."),
    };

    /// <summary>The accelerator of this run: <see cref="Variable"/> resolved.</summary>
    public static string Current => Resolve(Environment.GetEnvironmentVariable(Variable));

    /// <summary>Opens the accelerator named <paramref name="accelerator"/> (cpu: ILGPU's default CPU device; cuda: the first CUDA device).</summary>
    public static ComputeDevice Open(string accelerator) => accelerator switch
    {
        Cpu => ComputeDevice.Open(AcceleratorKind.Cpu),
        Cuda => ComputeDevice.Open(AcceleratorKind.Cuda),
        _ => throw new ArgumentException($"accelerator must be cpu or cuda, but is '{accelerator}'.", nameof(accelerator)),
    };
}

/// <summary>
/// The (B, T, H, S) values the suites run, per accelerator. The benchmark cases are the product of the lists;
/// I and λ are fixed (<see cref="Input"/>, <see cref="Decay"/>).
/// </summary>
internal sealed record KernelBenchmarkGrid(int[] Batches, int[] Times, int[] Hiddens, int[] InnerSteps)
{
    /// <summary>I, the input width, in every case.</summary>
    public const int Input = 64;

    /// <summary>λ in every case (K = 51 for the fused variant).</summary>
    public const double Decay = 0.95;

    /// <summary>The CPU accelerator's grid: small enough for a dry run of every case in a few minutes on 2 cores.</summary>
    public static KernelBenchmarkGrid Cpu { get; } = new([8, 32], [16, 64], [32, 64], [1]);

    /// <summary>The CUDA grid. Cases that do not fit the device's memory (StoreAll at large B·T·H²) fail in setup and show as NA.</summary>
    public static KernelBenchmarkGrid Cuda { get; } = new([32, 256], [256, 1024, 4096], [32, 64, 128, 256, 512], [1, 3]);

    public static KernelBenchmarkGrid For(string accelerator) => accelerator == KernelBenchmarkEnvironment.Cuda ? Cuda : Cpu;

    /// <summary>The grid of this run's accelerator.</summary>
    public static KernelBenchmarkGrid Current => For(KernelBenchmarkEnvironment.Current);
}
