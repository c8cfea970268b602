using System.Reflection;

namespace FastWeights.Kernels.Core;

/// <summary>How a kernel's threads are grouped, which decides how it is loaded and compiled.</summary>
public enum KernelGrouping
{
    /// <summary>Loaded with <c>LoadKernel</c>: the launch gives the group size (the group schedules' sweeps).</summary>
    Explicit,

    /// <summary>Loaded with <c>LoadAutoGroupedKernel</c>: the accelerator picks the group size.</summary>
    Implicit,
}

/// <summary>
/// One kernel of the library, declared beside its method with <see cref="Grouped{T}"/> or <see cref="AutoGrouped{T}"/>
/// (e.g. <c>LstmForwardSweep.GroupEntry</c>): its entry method, its grouping, the smallest
/// group the layers rely on it sustaining, and (in <see cref="KernelEntry{TLauncher}"/>) how to load it.
/// The PTX check (docs/gpu.md) compiles every entry; the layers load their kernels only through entries, so a kernel
/// the library launches is a kernel the check compiles.
/// </summary>
public abstract class KernelEntry
{
    private protected KernelEntry(MethodInfo method, KernelGrouping grouping, int requiredGroupSize)
    {
        Method = method;
        Grouping = grouping;
        RequiredGroupSize = requiredGroupSize;
        Name = $"{method.DeclaringType!.Name}.{method.Name}";
    }

    /// <summary>"Type.Method", unique in the catalog.</summary>
    public string Name { get; }

    /// <summary>The static kernel method.</summary>
    public MethodInfo Method { get; }

    /// <summary>Explicitly or implicitly grouped.</summary>
    public KernelGrouping Grouping { get; }

    /// <summary>
    /// Threads per group the compiled kernel must be able to run with (its registers must leave room for them): the
    /// group the owning layer launches at its target sizes. A layer never launches more than the compiled function
    /// allows (<see cref="KernelLimits"/>), so above this it stays correct and only spreads rows over fewer threads.
    /// </summary>
    public int RequiredGroupSize { get; }

    /// <inheritdoc />
    public override string ToString() => Name;

    /// <summary>
    /// Threads per group the group schedules' sweeps must sustain: their group at H = 512 (one thread per row; the
    /// largest hidden size of the benchmarks and of the access-pattern model). Above that the layers cap the group at
    /// the compiled function's limit and spread rows over its threads.
    /// </summary>
    public const int SweepGroupSize = 512;

    /// <summary>An implicitly grouped kernel needs at least one full warp per group.</summary>
    public const int ElementGroupSize = 32;

    /// <summary>An explicitly grouped kernel (loaded with <c>LoadKernel</c>) taking one argument struct.</summary>
    /// <param name="kernel">A static kernel method.</param>
    /// <param name="requiredGroupSize">Threads per group the compiled kernel must be able to run with.</param>
    public static KernelEntry<Action<AcceleratorStream, KernelConfig, T>> Grouped<T>(Action<T> kernel, int requiredGroupSize = SweepGroupSize)
        where T : struct =>
        new(kernel, KernelGrouping.Explicit, requiredGroupSize, acc => acc.LoadKernel(kernel));

    /// <summary>An implicitly grouped kernel (the accelerator picks the group size) taking one argument struct.</summary>
    /// <remarks>
    /// Loaded through <see cref="HostExecution.LoadIndexKernel{TArgs}"/>: on the CPU accelerator the body runs as host
    /// loops, <paramref name="host"/> (the same body with SIMD loops, never compiled by ILGPU) where one is given.
    /// </remarks>
    /// <param name="kernel">A static kernel method: what ILGPU compiles for a GPU.</param>
    /// <param name="host">
    /// Optional: the same body written with SIMD loops (<c>HostVectorMath</c>), run instead of
    /// <paramref name="kernel"/> as plain .NET code on the CPU accelerator; never compiled by ILGPU.
    /// </param>
    public static KernelEntry<Action<AcceleratorStream, Index1D, T>> AutoGrouped<T>(Action<Index1D, T> kernel, Action<Index1D, T>? host = null)
        where T : struct =>
        new(kernel, KernelGrouping.Implicit, ElementGroupSize, acc => acc.LoadIndexKernel(kernel, host));

    /// <summary>An implicitly grouped kernel taking three arguments.</summary>
    /// <param name="kernel">A static kernel method.</param>
    public static KernelEntry<Action<AcceleratorStream, Index1D, T1, T2, T3>> AutoGrouped<T1, T2, T3>(Action<Index1D, T1, T2, T3> kernel)
        where T1 : struct where T2 : struct where T3 : struct =>
        new(kernel, KernelGrouping.Implicit, ElementGroupSize, acc => acc.LoadIndexKernel(kernel));

    /// <summary>
    /// The public static <see cref="KernelEntry"/> fields of <paramref name="catalog"/>, in declaration order (read by
    /// reflection, so a new field cannot be left out of the list).
    /// </summary>
    /// <param name="catalog">The static class holding the entries.</param>
    public static IReadOnlyList<KernelEntry> Collect(Type catalog) =>
        catalog.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => typeof(KernelEntry).IsAssignableFrom(f.FieldType))
            .OrderBy(f => f.MetadataToken)
            .Select(f => (KernelEntry)f.GetValue(null)!)
            .ToArray();
}

/// <summary>A catalog entry with its loader; <see cref="Load"/> compiles once per accelerator.</summary>
/// <typeparam name="TLauncher">The launcher delegate ILGPU returns for this kernel.</typeparam>
public sealed class KernelEntry<TLauncher> : KernelEntry where TLauncher : Delegate
{
    private readonly Func<Accelerator, TLauncher> loader;

    internal KernelEntry(Delegate kernel, KernelGrouping grouping, int requiredGroupSize, Func<Accelerator, TLauncher> loader)
        : base(kernel.Method, grouping, requiredGroupSize)
    {
        if (!kernel.Method.IsStatic) throw new ArgumentException("A kernel must be a static method.", nameof(kernel));
        this.loader = loader;
    }

    /// <summary>
    /// The launcher for <paramref name="accelerator"/>: compiled on the first call for that accelerator, the same
    /// delegate afterwards (compiling again would cost the compile again, ILGPU samples' rule).
    /// </summary>
    public TLauncher Load(Accelerator accelerator) => KernelCache.GetOrLoad(accelerator, this, loader);
}
