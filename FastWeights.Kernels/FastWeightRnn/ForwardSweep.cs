using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>Everything the forward sweep reads and writes, passed by value to the kernel.</summary>
internal struct ForwardSweepArgs
{
    public int Batch, Time, Hidden, InnerSteps, CheckpointInterval, CheckpointCount, Activation;
    public int HasH0, HasA0, FastWeightsOnChip, LayerNorm;
    public int WColumnMajor;                            // 1: z = W h reads WColumns (group kernel), 0: W
    public float Decay, FastLr, LnEps;

    public ArrayView<float> Projection;                 // [B,T,H]  u_t = C x_t + b
    public ArrayView<float> W, LnGain, LnBias;          // [H,H], [H], [H]
    public ArrayView<float> WColumns;                   // [H,H] column-major copy of W (group kernel only; docs/gpu.md §3)
    public ArrayView<float> H0, A0;                     // [B,H], [B,H,H]; read only when Has* = 1
    public ArrayView<float> Y, HT, AT;                  // [B,T,H], [B,H], [B,H,H]
    public ArrayView<float> States;                     // [B,T+1,H] tape: h before step 0 and after each step
    public ArrayView<float> InnerStates;                 // [B,T,S,H] tape: input h_s of each inner step
    public ArrayView<float> Normalized;                 // [B,T,S,H] tape: x̂ of each inner step
    public ArrayView<float> InverseStd;                 // [B,T,S]   tape: 1/sqrt(var + ε)
    public ArrayView<float> Checkpoints;                // [CheckpointCount,B,H,H] tape: A(0), A(K), …, A(T)
    public ArrayView<float> Vectors;                    // [B,3,H] thread-schedule scratch
}

/// <summary>
/// The forward recurrence of docs/design.md §2, a whole batch of sequences in one launch:
/// for each t, z = W h + u_t, h_0 = f(z), S inner steps h_{s+1} = f(LN(z + A h_s)), then
/// A ← λA + η h hᵀ. The math is written once in <see cref="Run{TSchedule}"/>; the two kernels only
/// decide where the per-sequence vectors live and who owns which rows.
/// </summary>
/// <remarks>
/// Row ownership: every read or write of A is of a row the thread owns (A h_s reads row i, the
/// rank-one update writes row i), so A needs no barriers; the vectors h and z are read whole and
/// are separated by barriers. What is stored for the reverse pass: the outer states, the inner
/// states h_s, x̂ and 1/σ of every inner step, and A every K steps (docs/design.md §4).
/// </remarks>
internal static class ForwardSweep
{
    /// <summary>How a layer loads <see cref="ThreadKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, ForwardSweepArgs>> ThreadEntry = AutoGrouped<ForwardSweepArgs>(ThreadKernel);
    /// <summary>How a layer loads <see cref="GroupKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, ForwardSweepArgs>> GroupEntry = Grouped<ForwardSweepArgs>(GroupKernel);
    /// <summary>How a layer loads <see cref="ThreadKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    internal static readonly KernelEntry<Action<AcceleratorStream, Index1D, ForwardSweepArgs>> HostEntry = AutoGrouped<ForwardSweepArgs>(ThreadKernel, HostKernel);
    /// <summary>Thread schedule: one thread per sequence, vectors in global scratch, A in the AT output.</summary>
    public static void ThreadKernel(Index1D index, ForwardSweepArgs a) => RunOwnThread(new ThreadSchedule(), index, a);

    /// <summary>
    /// Host schedule: <see cref="ThreadKernel"/>'s body with SIMD row products, run as .NET code (never by ILGPU);
    /// the layer calls it for every sequence through <c>HostExecution</c>.
    /// </summary>
    public static void HostKernel(Index1D index, ForwardSweepArgs a) => RunOwnThread(new HostSchedule(), index, a);

    // Host execution calls this directly: optimise at the first call (no tier-0 code), since a benchmark or a short
    // job would otherwise time unoptimised loops (measured 3-4x slower in a 4-call run). ILGPU ignores the flag.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void RunOwnThread<TSchedule>(TSchedule schedule, int sequence, ForwardSweepArgs a)
        where TSchedule : struct, ISweepSchedule
    {
        int h = a.Hidden;
        var vectors = a.Vectors.SubView((long)sequence * 3 * h, 3 * h);
        var fastWeights = a.AT.SubView((long)sequence * h * h, (long)h * h);
        Run(schedule, a, sequence, vectors.SubView(0, h), vectors.SubView(h, h), vectors.SubView(2 * h, h), fastWeights);
    }

    /// <summary>Group schedule: one group per sequence, vectors in shared memory, A in shared memory when it fits.</summary>
    public static void GroupKernel(ForwardSweepArgs a)
    {
        int sequence = Grid.IdxX;
        int groupSize = Group.DimX;
        int h = a.Hidden;
        var shared = SharedMemory.GetDynamic<float>();
        var partials = shared.SubView(0, 2 * groupSize);
        int offset = 2 * groupSize;
        var hA = shared.SubView(offset, h);
        var hB = shared.SubView(offset + h, h);
        var z = shared.SubView(offset + 2 * h, h);
        var fastWeights = a.FastWeightsOnChip != 0
            ? shared.SubView(offset + 3 * h, (long)h * h)
            : a.AT.SubView((long)sequence * h * h, (long)h * h);
        Run(new GroupSchedule(partials, Group.IdxX, groupSize, matricesInGlobal: a.FastWeightsOnChip == 0), a, sequence, hA, hB, z, fastWeights);
    }

    /// <summary>Shared-memory floats the group kernel needs.</summary>
    public static int GroupSharedFloats(int hidden, int groupSize, bool fastWeightsOnChip) =>
        2 * groupSize + 3 * hidden + (fastWeightsOnChip ? hidden * hidden : 0);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Run<TSchedule>(TSchedule schedule, ForwardSweepArgs a, int q,
        ArrayView<float> hCur, ArrayView<float> hNext, ArrayView<float> z, ArrayView<float> fastWeights)
        where TSchedule : struct, ISweepSchedule
    {
        int H = a.Hidden, T = a.Time, S = a.InnerSteps;
        long hh = (long)H * H;
        int first = schedule.First, stride = schedule.Stride;
        var aT = a.AT.SubView(q * hh, hh);

        // State in: h ← h0 (or 0), A ← A0 (or 0). Own rows only; h0/hT and A0/AT may alias
        // because each element is read before the same thread writes it.
        long stateBase = (long)q * (T + 1) * H;
        for (int i = first; i < H; i += stride)
        {
            float hi = a.HasH0 != 0 ? a.H0[(long)q * H + i] : 0f;
            hCur[i] = hi;
            a.States[stateBase + i] = hi;
        }
        if (a.HasA0 != 0)
            schedule.CopyRows(fastWeights, 0, a.A0, q * hh, H);
        else
            schedule.FillRows(fastWeights, 0, 0f, H);
        schedule.Barrier();

        int slot = 0;
        for (int t = 0; t < T; t++)
        {
            if (t % a.CheckpointInterval == 0)
                CopyOwnRows(schedule, fastWeights, a.Checkpoints.SubView(((long)(t / a.CheckpointInterval) * a.Batch + q) * hh, hh), H);

            // z = W h + u_t ; h_0 = f(z)
            long stepBase = ((long)q * T + t) * H;
            long innerBase = ((long)q * T + t) * S;
            // The group kernel reads W's column-major copy down its columns: lanes over rows on consecutive addresses, and
            // the same sum in the same order as the row-major dot product (bit-identical to the thread schedule).
            if (a.WColumnMajor != 0)
                schedule.TransposedProduct(a.WColumns, 0, hCur, 0, z, 0, H);
            else
                schedule.Product(a.W, 0, hCur, 0, z, 0, H);
            for (int i = first; i < H; i += stride)
            {
                float zi = a.Projection[stepBase + i] + z[i];
                z[i] = zi;
                float h0i = ActivationMath.Apply(a.Activation, zi);
                hNext[i] = h0i;
                a.InnerStates[innerBase * H + i] = h0i;
            }
            schedule.Barrier();
            var swap = hCur; hCur = hNext; hNext = swap;

            // S inner steps: v = z + A h_s ; h_{s+1} = f(g ⊙ (v − μ)/σ + β)
            for (int s = 0; s < S; s++)
            {
                long inner = innerBase + s;
                var v = a.Normalized.SubView(inner * H, H);
                float partial = 0f;
                schedule.Product(fastWeights, 0, hCur, 0, a.Normalized, inner * H, H);
                for (int i = first; i < H; i += stride)
                {
                    float vi = z[i] + v[i];
                    v[i] = vi;
                    partial += vi;
                }
                // Without layer norm (the plain-RNN baseline) n = v: mean 0, 1/σ = 1, no reductions.
                float mean = 0f, inverseStd = 1f;
                if (a.LayerNorm != 0)
                {
                    mean = schedule.Sum(partial, slot) / H;
                    slot ^= 1;
                    partial = 0f;
                    for (int i = first; i < H; i += stride)
                    {
                        float d = v[i] - mean;
                        partial += d * d;
                    }
                    float variance = schedule.Sum(partial, slot) / H;
                    slot ^= 1;
                    inverseStd = 1f / ILGPU.Algorithms.XMath.Sqrt(variance + a.LnEps);
                }
                if (first == 0)
                    a.InverseStd[inner] = inverseStd;
                InnerLayerNorm.Apply(first, stride, H, v, hNext, mean, inverseStd, a.Activation, a.LayerNorm, a.LnGain, a.LnBias,
                    s + 1 < S, a.InnerStates, (inner + 1) * H);
                schedule.Barrier();
                swap = hCur; hCur = hNext; hNext = swap;
            }

            // y_t = h ; A ← λA + η h hᵀ (own rows)
            long nextState = stateBase + (long)(t + 1) * H;
            for (int i = first; i < H; i += stride)
            {
                float hi = hCur[i];
                a.Y[stepBase + i] = hi;
                a.States[nextState + i] = hi;
            }
            schedule.RankOneUpdate(fastWeights, 0, a.Decay, a.FastLr, hCur, 0, hCur, 0, H);
        }

        // State out and the final anchor A(T).
        CopyOwnRows(schedule, fastWeights, a.Checkpoints.SubView(((long)(a.CheckpointCount - 1) * a.Batch + q) * hh, hh), H);
        if (a.FastWeightsOnChip != 0)
            CopyOwnRows(schedule, fastWeights, aT, H);
        for (int i = first; i < H; i += stride)
            a.HT[(long)q * H + i] = hCur[i];
    }

    internal static void CopyOwnRows<TSchedule>(TSchedule schedule, ArrayView<float> source, ArrayView<float> target, int H)
        where TSchedule : struct, ISweepSchedule =>
        schedule.CopyRows(target, 0, source, 0, H);
}
