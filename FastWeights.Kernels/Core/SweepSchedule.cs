namespace FastWeights.Kernels.Core;

/// <summary>
/// How the recurrence of a batch is mapped onto threads. Both schedules run the same device math
/// (see <c>ForwardSweep</c> and <c>ReverseSweep</c>); they differ only in who computes which rows
/// and how reductions are formed.
/// </summary>
public enum SweepSchedule
{
    /// <summary>Pick from the accelerator: <see cref="Group"/> on GPUs, <see cref="Thread"/> on the ILGPU CPU accelerator.</summary>
    Auto = 0,

    /// <summary>
    /// One thread group per sequence: the group's threads share the rows of every matrix–vector
    /// product, vectors live in shared memory, and group barriers separate the phases. The GPU schedule.
    /// </summary>
    Group = 1,

    /// <summary>
    /// One thread per sequence, no barriers. Measured about 30× faster than <see cref="Group"/> on the
    /// ILGPU CPU accelerator, which simulates group barriers expensively; slow on a real GPU when the batch is small.
    /// </summary>
    Thread = 2,

    /// <summary>
    /// The CPU schedule: the thread schedule's body run as plain .NET code over the ILGPU CPU accelerator's memory
    /// (one sequence per thread-pool task, no simulated threads, no launch cost) with SIMD row products. Only on a
    /// CPU accelerator where <see cref="HostExecution.Applies"/>; the fast-weight RNN has it, the other
    /// families run their <see cref="Thread"/> kernels as host loops instead.
    /// </summary>
    Host = 3,
}

/// <summary>Resolving <see cref="SweepSchedule.Auto"/>, the one rule every layer uses.</summary>
public static class SweepScheduleExtensions
{
    /// <summary>
    /// <paramref name="schedule"/> itself unless it is <see cref="SweepSchedule.Auto"/>; then <see cref="SweepSchedule.Thread"/>
    /// on the ILGPU CPU accelerator and <see cref="SweepSchedule.Group"/> on every other accelerator.
    /// </summary>
    /// <param name="schedule">The requested schedule.</param>
    /// <param name="accelerator">The accelerator the layer runs on.</param>
    /// <remarks>For a layer without a host schedule, <see cref="SweepSchedule.Host"/> resolves to <see cref="SweepSchedule.Thread"/>,
    /// whose kernel runs as host loops wherever <see cref="HostExecution.Applies"/>.</remarks>
    public static SweepSchedule ResolveFor(this SweepSchedule schedule, ILGPU.Runtime.Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        if (schedule == SweepSchedule.Host) return SweepSchedule.Thread;
        return schedule != SweepSchedule.Auto ? schedule
            : accelerator.AcceleratorType == ILGPU.Runtime.AcceleratorType.CPU ? SweepSchedule.Thread : SweepSchedule.Group;
    }

    /// <summary>
    /// The rule for a layer that has a host schedule (the fast-weight RNN): <see cref="SweepSchedule.Auto"/> is
    /// <see cref="SweepSchedule.Host"/> where <see cref="HostExecution.Applies"/>, otherwise as <see cref="ResolveFor"/>.
    /// </summary>
    /// <param name="schedule">The requested schedule.</param>
    /// <param name="accelerator">The accelerator the layer runs on.</param>
    /// <exception cref="ArgumentException"><see cref="SweepSchedule.Host"/> was asked for on an accelerator where it cannot run.</exception>
    public static SweepSchedule ResolveWithHostFor(this SweepSchedule schedule, ILGPU.Runtime.Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        bool host = HostExecution.Applies(accelerator);
        if (schedule == SweepSchedule.Host && !host)
            throw new ArgumentException(
                $"SweepSchedule.Host runs only on the ILGPU CPU accelerator (not a GPU-shaped simulated one); '{accelerator.Name}' is not one.", nameof(schedule));
        if (schedule == SweepSchedule.Auto && host) return SweepSchedule.Host;
        return schedule == SweepSchedule.Host ? schedule : schedule.ResolveFor(accelerator);
    }
}
