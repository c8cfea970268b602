namespace FastWeights.Kernels.FastWeightRnn;

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
    public static SweepSchedule ResolveFor(this SweepSchedule schedule, ILGPU.Runtime.Accelerator accelerator)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        return schedule != SweepSchedule.Auto ? schedule
            : accelerator.AcceleratorType == ILGPU.Runtime.AcceleratorType.CPU ? SweepSchedule.Thread : SweepSchedule.Group;
    }
}
