using System.Reflection;
using ILGPU.Runtime;

namespace FastWeights.Kernels.Compilation;

/// <summary>How a kernel's threads are grouped, which decides how it is loaded and compiled.</summary>
public enum KernelGrouping
{
    /// <summary>Loaded with <c>LoadKernel</c>: the launch gives the group size (the group schedules' sweeps).</summary>
    Explicit,

    /// <summary>Loaded with <c>LoadAutoGroupedKernel</c>: the accelerator picks the group size.</summary>
    Implicit,
}

/// <summary>
/// One kernel of the library as <see cref="KernelCatalog"/> lists it: its entry method, its grouping, the smallest
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
