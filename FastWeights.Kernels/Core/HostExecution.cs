using System.Runtime.CompilerServices;
using ILGPU.Runtime.CPU;

namespace FastWeights.Kernels.Core;

/// <summary>
/// Runs index-space kernels on the ILGPU CPU accelerator as plain .NET loops over its memory, on the calling
/// thread and the .NET thread pool, instead of through ILGPU's thread simulator.
/// </summary>
/// <remarks>
/// <para>Why: the CPU accelerator simulates GPU threads with one OS thread per simulated lane and a barrier
/// handshake per launch. Measured on the project's 2-core machine, an empty launch costs ≈ 1.5 ms on a quiet
/// machine and 2–15 ms under load, which a training step of ~30 launches cannot afford. An implicitly grouped
/// kernel (<c>Action&lt;Index1D, TArgs&gt;</c>) has no group semantics — no barriers, no shared memory — so calling
/// its method for every index is exactly what the simulator does, minus the simulation. CPU buffers are host
/// memory and ILGPU's CPU streams complete every operation before returning, so no synchronisation is needed.</para>
/// <para>Where: every <see cref="CPUAccelerator"/>, except one opened to exercise GPU-shaped kernels
/// (<see cref="Simulate"/>: <c>AcceleratorKind.CpuNvidia</c>), where launches keep going through the simulator.
/// Explicitly grouped kernels (the group schedules) always go through ILGPU.</para>
/// <para>Determinism: every index writes its own outputs, so splitting the index range over threads does not change
/// any result.</para>
/// </remarks>
public static class HostExecution
{
    private static readonly ConditionalWeakTable<Accelerator, object> Simulated = new();

    /// <summary>Whether index-space kernels on <paramref name="accelerator"/> run as host loops.</summary>
    /// <param name="accelerator">Any accelerator.</param>
    public static bool Applies(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        return accelerator is CPUAccelerator && !Simulated.TryGetValue(accelerator, out _);
    }

    /// <summary>
    /// Keeps every launch on <paramref name="accelerator"/> in ILGPU's thread simulator (for a CPU device shaped like
    /// a GPU, whose point is to exercise the kernels as a GPU would run them). Call before loading any kernel.
    /// </summary>
    /// <param name="accelerator">A CPU accelerator.</param>
    public static void Simulate(Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        Simulated.AddOrUpdate(accelerator, new object());
    }

    /// <summary>
    /// Loads <paramref name="kernel"/> like <c>LoadAutoGroupedKernel</c>; where <see cref="Applies"/>, returns instead a
    /// launcher that calls <paramref name="host"/> (or, without one, <paramref name="kernel"/>) for every index.
    /// </summary>
    /// <param name="accelerator">The accelerator.</param>
    /// <param name="kernel">The kernel as ILGPU compiles it.</param>
    /// <param name="host">The same body specialised for host execution (e.g. with <c>HostVectorMath</c>), or null.</param>
    public static Action<AcceleratorStream, Index1D, TArgs> LoadIndexKernel<TArgs>(
        this Accelerator accelerator, Action<Index1D, TArgs> kernel, Action<Index1D, TArgs>? host = null)
        where TArgs : struct
    {
        if (!Applies(accelerator))
            return accelerator.LoadAutoGroupedKernel(kernel);
        var body = host ?? kernel;
        return (stream, extent, args) => For(extent.Size, index => body(index, args));
    }

    /// <summary>The three-argument form of <see cref="LoadIndexKernel{TArgs}"/>.</summary>
    public static Action<AcceleratorStream, Index1D, T1, T2, T3> LoadIndexKernel<T1, T2, T3>(
        this Accelerator accelerator, Action<Index1D, T1, T2, T3> kernel)
        where T1 : struct where T2 : struct where T3 : struct
    {
        if (!Applies(accelerator))
            return accelerator.LoadAutoGroupedKernel(kernel);
        return (stream, extent, a1, a2, a3) => For(extent.Size, index => kernel(index, a1, a2, a3));
    }

    /// <summary>
    /// Calls <paramref name="body"/> for every index in [0, count): inline for a single index, else in one contiguous
    /// range per core on the thread pool. Returns when every call has returned.
    /// </summary>
    public static void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        int parts = Math.Min(count, Environment.ProcessorCount);
        if (parts == 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
        {
            int start = (int)((long)count * part / parts), end = (int)((long)count * (part + 1) / parts);
            for (int i = start; i < end; i++) body(i);
        });
    }
}
