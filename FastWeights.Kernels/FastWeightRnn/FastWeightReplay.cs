namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>Arguments of <see cref="FastWeightReplay"/>.</summary>
internal struct FastWeightReplayArgs
{
    public int Batch, Time, Hidden;
    public int FromStep, ToStep;                        // replays the writes of steps FromStep … ToStep − 1
    public int SourceSlot, TargetSlot;                  // slots of Checkpoints [slots,B,H,H]
    public int Block;                                   // consecutive elements of [B,H,H] per thread
    public float Decay, FastLr;
    public ArrayView<float> States;                     // [B,T+1,H] the forward's outer states
    public ArrayView<float> Checkpoints;
}

/// <summary>
/// Recomputes a copy of A from an earlier one for a checkpoint schedule (docs/design.md §9): for
/// t = FromStep … ToStep − 1, A ← λA + η h_t h_tᵀ with h_t read from the forward's tape of outer states.
/// The h part of the forward needs no recomputation, because the per-step vectors are on the tape.
/// </summary>
/// <remarks>
/// Each element of A evolves on its own, so one thread takes a block of elements and loops over the
/// steps. Each element sees the same float32 operations, in the same order, as in
/// <see cref="ForwardSweep"/>: (η·h_i) first, then λ·A + that·h_j. On the CPU accelerator the copy is
/// therefore bit-identical to the one the forward passed through, and so are the gradients.
/// </remarks>
internal static class FastWeightReplay
{
    /// <summary>How a layer loads <see cref="Kernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, FastWeightReplayArgs>> Entry = AutoGrouped<FastWeightReplayArgs>(Kernel, HostKernel);
    public static void Kernel(Index1D index, FastWeightReplayArgs a)
    {
        int H = a.Hidden;
        long hh = (long)H * H;
        long total = a.Batch * hh;
        long end = index.X * (long)a.Block + a.Block < total ? index.X * (long)a.Block + a.Block : total;
        for (long e = (long)index.X * a.Block; e < end; e++)
        {
            long q = e / hh;
            long ij = e - q * hh;
            long i = ij / H, j = ij - i * H;
            float value = a.Checkpoints[(a.SourceSlot * (long)a.Batch + q) * hh + ij];
            long stateBase = q * (a.Time + 1) * H;
            for (int t = a.FromStep; t < a.ToStep; t++)
            {
                long state = stateBase + (long)(t + 1) * H;
                float scaled = a.FastLr * a.States[state + i];
                value = a.Decay * value + scaled * a.States[state + j];
            }
            a.Checkpoints[(a.TargetSlot * (long)a.Batch + q) * hh + ij] = value;
        }
    }

    /// <summary>
    /// <see cref="Kernel"/> for host execution: the block's elements taken as runs of one row of one sequence's A, each
    /// replayed as whole-run SIMD updates v ← λ·v + (η·h_i)·h (<c>HostVectorMath.ScaleAdd</c>), with the same two roundings
    /// per element as the kernel, so the replayed copies equal the forward's bit for bit.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void HostKernel(Index1D index, FastWeightReplayArgs a)
    {
        int H = a.Hidden;
        long hh = (long)H * H;
        long total = a.Batch * hh;
        long end = Math.Min((long)index.X * a.Block + a.Block, total);
        for (long e = (long)index.X * a.Block; e < end;)
        {
            long q = e / hh;
            long ij = e - q * hh;
            long i = ij / H, j0 = ij - i * H;
            int length = (int)Math.Min(H - j0, end - e);
            var target = Host.HostVectorMath.Run(a.Checkpoints, (a.TargetSlot * (long)a.Batch + q) * hh + ij, length);
            Host.HostVectorMath.Run(a.Checkpoints, (a.SourceSlot * (long)a.Batch + q) * hh + ij, length).CopyTo(target);
            long stateBase = q * (a.Time + 1) * H;
            for (int t = a.FromStep; t < a.ToStep; t++)
            {
                long state = stateBase + (long)(t + 1) * H;
                Host.HostVectorMath.ScaleAdd(target, a.Decay, a.FastLr * a.States[state + i], Host.HostVectorMath.Run(a.States, state + j0, length));
            }
            e += length;
        }
    }
}
