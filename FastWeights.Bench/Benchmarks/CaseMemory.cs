using FastWeights.Bench.Cli;
using FastWeights.Kernels.Core;

namespace FastWeights.Bench.Benchmarks;

/// <summary>
/// The `kernels` suites' resource check (docs/reliability.md): each case computes what its setup will allocate — the
/// layer's workspace from the workspace-size functions, plus the activation tensors — and refuses, with the bytes named,
/// a case the device cannot hold, before allocating anything. The case then fails in its own setup and BenchmarkDotNet
/// shows it as NA; the rest of the grid still runs (the CUDA grid deliberately reaches past small devices).
/// </summary>
internal static class CaseMemory
{
    /// <summary>Throws a one-line <see cref="CommandInputException"/> naming <paramref name="bytes"/> when <paramref name="device"/> cannot hold them.</summary>
    public static void Require(ComputeDevice device, long bytes, string what) =>
        ResourceCheck.RequireDeviceFits(device, bytes, what);

    /// <summary>4·n bytes, or long.MaxValue when that overflows.</summary>
    public static long Floats(long n) => n < 0 || n > long.MaxValue / 4 ? long.MaxValue : 4 * n;

    /// <summary>a + b, saturating at long.MaxValue.</summary>
    public static long Add(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;
}
