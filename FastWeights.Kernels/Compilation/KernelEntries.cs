using ILGPU;
using ILGPU.Runtime;

namespace FastWeights.Kernels.Compilation;

/// <summary>
/// Builds <see cref="KernelEntry{TLauncher}"/>s for kernels defined outside this assembly (FastWeights.Model's ops),
/// so that they load the way the library's own kernels do (once per accelerator; as SIMD host loops on the CPU
/// accelerator where a host body is given) and so that the PTX check can compile them (docs/gpu.md).
/// </summary>
/// <remarks>
/// A catalog is a static class whose public static <see cref="KernelEntry"/> fields are made here; <see cref="Collect"/>
/// lists them. This is the public face of the library's internal catalog: the same factories, nothing more.
/// </remarks>
public static class KernelEntries
{
    /// <summary>Threads per group an explicitly grouped kernel must sustain by default (one thread per row at H = 512).</summary>
    public const int SweepGroupSize = KernelCatalog.SweepGroupSize;

    /// <summary>An implicitly grouped kernel needs at least one full warp per group.</summary>
    public const int ElementGroupSize = KernelCatalog.ElementGroupSize;

    /// <summary>Every kernel FastWeights.Kernels itself loads, in its catalog's order.</summary>
    public static IReadOnlyList<KernelEntry> Library => KernelCatalog.All;

    /// <summary>An explicitly grouped kernel (loaded with <c>LoadKernel</c>) taking one argument struct.</summary>
    /// <param name="kernel">A static kernel method.</param>
    /// <param name="requiredGroupSize">Threads per group the compiled kernel must be able to run with.</param>
    public static KernelEntry<Action<AcceleratorStream, KernelConfig, T>> Grouped<T>(Action<T> kernel, int requiredGroupSize = SweepGroupSize)
        where T : struct => KernelCatalog.Grouped(kernel, requiredGroupSize);

    /// <summary>An implicitly grouped kernel (the accelerator picks the group size) taking one argument struct.</summary>
    /// <param name="kernel">A static kernel method: what ILGPU compiles for a GPU.</param>
    /// <param name="host">
    /// Optional: the same body written with SIMD loops (<see cref="Host.HostVectorMath"/>), run instead of
    /// <paramref name="kernel"/> as plain .NET code on the CPU accelerator; never compiled by ILGPU.
    /// </param>
    public static KernelEntry<Action<AcceleratorStream, Index1D, T>> AutoGrouped<T>(Action<Index1D, T> kernel, Action<Index1D, T>? host = null)
        where T : struct => KernelCatalog.AutoGrouped(kernel, host);

    /// <summary>An implicitly grouped kernel taking three arguments.</summary>
    /// <param name="kernel">A static kernel method.</param>
    public static KernelEntry<Action<AcceleratorStream, Index1D, T1, T2, T3>> AutoGrouped<T1, T2, T3>(Action<Index1D, T1, T2, T3> kernel)
        where T1 : struct where T2 : struct where T3 : struct => KernelCatalog.AutoGrouped(kernel);

    /// <summary>The public static <see cref="KernelEntry"/> fields of <paramref name="catalog"/>, in declaration order.</summary>
    /// <param name="catalog">The static class holding the entries.</param>
    public static IReadOnlyList<KernelEntry> Collect(Type catalog) => KernelCatalog.Collect(catalog);
}
