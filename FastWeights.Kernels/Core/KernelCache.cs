using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace FastWeights.Kernels.Core;

/// <summary>
/// The kernels loaded so far, per accelerator and catalog entry: every layer on one accelerator shares one compiled
/// kernel per entry. The table holds accelerators weakly, so a disposed and dropped accelerator takes its kernels with it.
/// </summary>
internal static class KernelCache
{
    private static readonly ConditionalWeakTable<Accelerator, ConcurrentDictionary<KernelEntry, Lazy<Delegate>>> loaded = new();

    /// <summary>The launcher of <paramref name="entry"/> on <paramref name="accelerator"/>, loading it on first use.</summary>
    public static TLauncher GetOrLoad<TLauncher>(Accelerator accelerator, KernelEntry entry, Func<Accelerator, TLauncher> loader)
        where TLauncher : Delegate
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (accelerator.IsDisposed) throw new ObjectDisposedException(nameof(accelerator));
        var kernels = loaded.GetValue(accelerator, _ => new ConcurrentDictionary<KernelEntry, Lazy<Delegate>>());
        // A failed load is not cached (PublicationOnly); two threads racing on the first load may both compile, one result is kept.
        var launcher = kernels.GetOrAdd(entry, _ => new Lazy<Delegate>(() => loader(accelerator), LazyThreadSafetyMode.PublicationOnly));
        return (TLauncher)launcher.Value;
    }

    /// <summary>How many entries are loaded on <paramref name="accelerator"/> (for tests).</summary>
    public static int Count(Accelerator accelerator) =>
        loaded.TryGetValue(accelerator, out var kernels) ? kernels.Count(k => k.Value.IsValueCreated) : 0;
}
