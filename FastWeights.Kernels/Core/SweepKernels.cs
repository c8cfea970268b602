namespace FastWeights.Kernels.Core;

/// <summary>
/// A layer's forward and reverse sweep kernels for the schedule it runs: one thread per sequence (also the host
/// schedule's kernels, launched the same way) or one group per sequence, each pair compiled from one generic kernel
/// body. It sizes the group from what both compiled group sweeps allow and launches either pair the same way.
/// </summary>
/// <typeparam name="TForward">The forward sweep's argument struct.</typeparam>
/// <typeparam name="TReverse">The reverse sweep's argument struct.</typeparam>
internal sealed class SweepKernels<TForward, TReverse>
    where TForward : struct
    where TReverse : struct
{
    private readonly Action<AcceleratorStream, Index1D, TForward>? forwardThread;
    private readonly Action<AcceleratorStream, Index1D, TReverse>? reverseThread;
    private readonly Action<AcceleratorStream, KernelConfig, TForward>? forwardGroup;
    private readonly Action<AcceleratorStream, KernelConfig, TReverse>? reverseGroup;

    /// <summary>The thread-per-sequence (or host) pair.</summary>
    public SweepKernels(Action<AcceleratorStream, Index1D, TForward> forward, Action<AcceleratorStream, Index1D, TReverse> reverse)
    {
        forwardThread = forward;
        reverseThread = reverse;
    }

    /// <summary>The group-per-sequence pair.</summary>
    public SweepKernels(Action<AcceleratorStream, KernelConfig, TForward> forward, Action<AcceleratorStream, KernelConfig, TReverse> reverse)
    {
        forwardGroup = forward;
        reverseGroup = reverse;
    }

    /// <summary>The pair <paramref name="schedule"/> (resolved) runs: the group entries for the group schedule, else the thread entries.</summary>
    public static SweepKernels<TForward, TReverse> Load(Accelerator accelerator, SweepSchedule schedule,
        KernelEntry<Action<AcceleratorStream, Index1D, TForward>> forwardThread, KernelEntry<Action<AcceleratorStream, Index1D, TReverse>> reverseThread,
        KernelEntry<Action<AcceleratorStream, KernelConfig, TForward>> forwardGroup, KernelEntry<Action<AcceleratorStream, KernelConfig, TReverse>> reverseGroup) =>
        schedule == SweepSchedule.Group
            ? new(forwardGroup.Load(accelerator), reverseGroup.Load(accelerator))
            : new(forwardThread.Load(accelerator), reverseThread.Load(accelerator));

    /// <summary>Whether these are the group kernels.</summary>
    public bool IsGroup => forwardGroup is not null;

    /// <summary>The group forward (null for the thread pair): for the CUDA shared-memory opt-in.</summary>
    public Action<AcceleratorStream, KernelConfig, TForward>? ForwardGroup => forwardGroup;

    /// <summary>The group reverse (null for the thread pair).</summary>
    public Action<AcceleratorStream, KernelConfig, TReverse>? ReverseGroup => reverseGroup;

    /// <summary>
    /// Threads per group for <paramref name="width"/> rows: a multiple of the warp size, capped at what both compiled
    /// group sweeps allow (their registers, on CUDA: docs/gpu.md §2), or at the device's maximum for the thread pair.
    /// </summary>
    public int GroupSize(Accelerator accelerator, long width)
    {
        int warp = Math.Max(accelerator.WarpSize, 1);
        int groupLimit = accelerator.MaxNumThreadsPerGroup;
        if (IsGroup)
            groupLimit = Math.Min(KernelLimits.MaxGroupSize(accelerator, forwardGroup!), KernelLimits.MaxGroupSize(accelerator, reverseGroup!));
        return KernelLimits.GroupSize(width, warp, groupLimit);
    }

    /// <summary>The launch of a group kernel: <paramref name="sequences"/> groups of <paramref name="groupSize"/> threads with <paramref name="sharedFloats"/> floats of dynamic shared memory.</summary>
    public static KernelConfig GroupConfig(int sequences, int groupSize, int sharedFloats) =>
        new((Index1D)sequences, (Index1D)groupSize, SharedMemoryConfig.RequestDynamic<float>(sharedFloats));

    /// <summary>Queues the forward over <paramref name="sequences"/> sequences; <paramref name="group"/> is used by the group pair only.</summary>
    public void Forward(AcceleratorStream stream, int sequences, KernelConfig group, TForward args)
    {
        if (forwardGroup is null)
            forwardThread!(stream, (Index1D)sequences, args);
        else
            forwardGroup(stream, group, args);
    }

    /// <summary>Queues the reverse over <paramref name="sequences"/> sequences; <paramref name="group"/> is used by the group pair only.</summary>
    public void Reverse(AcceleratorStream stream, int sequences, KernelConfig group, TReverse args)
    {
        if (reverseGroup is null)
            reverseThread!(stream, (Index1D)sequences, args);
        else
            reverseGroup(stream, group, args);
    }
}
