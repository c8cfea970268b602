using FastWeights.Kernels.Core;
using ILGPU;
using ILGPU.Runtime;
using static FastWeights.Kernels.Core.KernelEntry;

namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// The fast-weight RNN's kernels: the recurrent form's sweeps (thread, group, host) and replay, and the attention form.
/// The only way this family loads them (<see cref="KernelEntry{TLauncher}.Load"/>: once per accelerator);
/// <c>KernelEntries.Library</c> (Compilation/) lists these for the PTX check, and a test fails when a <c>Load…Kernel</c>
/// call appears outside the loaders.
/// </summary>
internal static class FastWeightRnnKernels
{
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, ForwardSweepArgs>> ForwardThread = AutoGrouped<ForwardSweepArgs>(ForwardSweep.ThreadKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, ForwardSweepArgs>> ForwardGroup = Grouped<ForwardSweepArgs>(ForwardSweep.GroupKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, ReverseSweepArgs>> ReverseThread = AutoGrouped<ReverseSweepArgs>(ReverseSweep.ThreadKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, ReverseSweepArgs>> ReverseGroup = Grouped<ReverseSweepArgs>(ReverseSweep.GroupKernel);
    // The host schedule (SweepSchedule.Host): the thread kernels' methods with their SIMD host bodies. Internal, not
    // public, so that KernelEntries.Library (public fields) lists each compiled method once: PTX compiles ForwardThread/ReverseThread.
    internal static readonly KernelEntry<Action<AcceleratorStream, Index1D, ForwardSweepArgs>> ForwardHost = AutoGrouped<ForwardSweepArgs>(ForwardSweep.ThreadKernel, ForwardSweep.HostKernel);
    internal static readonly KernelEntry<Action<AcceleratorStream, Index1D, ReverseSweepArgs>> ReverseHost = AutoGrouped<ReverseSweepArgs>(ReverseSweep.ThreadKernel, ReverseSweep.HostKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, FastWeightReplayArgs>> Replay = AutoGrouped<FastWeightReplayArgs>(FastWeightReplay.Kernel, FastWeightReplay.HostKernel);
    // The attention form (FastWeightForm.Attention).
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, AttentionForwardArgs>> AttentionForward = AutoGrouped<AttentionForwardArgs>(AttentionFormSweep.ForwardKernel, AttentionFormSweep.ForwardHostKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, AttentionReverseArgs>> AttentionReverse = AutoGrouped<AttentionReverseArgs>(AttentionFormSweep.ReverseKernel, AttentionFormSweep.ReverseHostKernel);
}
