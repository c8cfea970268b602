using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// Everything the reverse sweep reads and writes: the forward's parameter set, extended by the gradients and the
/// reverse's own buffers (as flash-attention's backward parameters extend the forward's).
/// </summary>
internal struct ReverseSweepArgs
{
    // Read: the sizes and options, W, g, the forward's tape (States … Checkpoints) and the Vectors scratch, with the
    // reverse's own CheckpointInterval (K) and FastWeightsOnChip. Not read: the forward's inputs and outputs.
    public ForwardSweepArgs Forward;
    public int HasDhT, HasDAT, HasDh0, HasDA0;
    // Steps WindowEnd−1 … WindowStart are swept. AnchorSlot < 0: the whole sequence in one launch, re-anchoring
    // at t = jK on slot j. AnchorSlot ≥ 0: one K-step interval of a checkpoint plan, re-anchoring at its
    // first step on that slot; dh, A and Ā arrive from the previous window and leave for the next one
    // through Vectors, Rebuild and FastWeightGrad.
    public int WindowStart, WindowEnd, AnchorSlot;

    public ArrayView<float> Dy, DhT, DAT;               // [B,T,H], [B,H], [B,H,H]
    public ArrayView<float> Rebuild;                    // [B,H,H] A rebuilt backwards (when not on chip)
    public ArrayView<float> FastWeightGrad;             // [B,H,H] Ā (when not on chip)
    public ArrayView<float> Dz;                         // [B,T,H] out: dL/dz per step, for dW, dC, db, dx
    public ArrayView<float> LayerNormGrad;              // [B,2,H] out: per-sequence Σ dn ⊙ x̂ and Σ dn
    public ArrayView<float> DH0, DA0;                   // [B,H], [B,H,H] out, written when Has* = 1
}

/// <summary>
/// The reverse sweep of docs/design.md §3: walks t = T−1 … 0 carrying dh and Ā, and rebuilds the
/// A each step used as A(t) = (A(t+1) − η h_t h_tᵀ)/λ, re-anchored on the stored copy whenever
/// t is a multiple of K (docs/design.md §5). Writes dz per step (parameter gradients are formed
/// afterwards by deterministic batched reductions), the per-sequence layer-norm partial sums,
/// dh0 and dA0. Under a checkpoint plan (docs/design.md §9) the same body runs one K-step window
/// per launch, carrying its state between launches in global memory bit for bit.
/// </summary>
/// <remarks>
/// Row ownership as in the forward: A, Ā and dz rows belong to one thread. Three things read across
/// rows and are fenced by barriers: the columns of Ā (η(Ā + Āᵀ)h), the columns of A (Aᵀ dv) and the
/// columns of W (Wᵀ dz).
/// </remarks>
internal static class ReverseSweep
{
    /// <summary>How a layer loads <see cref="ThreadKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, ReverseSweepArgs>> ThreadEntry = AutoGrouped<ReverseSweepArgs>(ThreadKernel);
    /// <summary>How a layer loads <see cref="GroupKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, ReverseSweepArgs>> GroupEntry = Grouped<ReverseSweepArgs>(GroupKernel);
    /// <summary>How a layer loads <see cref="ThreadKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    internal static readonly KernelEntry<Action<AcceleratorStream, Index1D, ReverseSweepArgs>> HostEntry = AutoGrouped<ReverseSweepArgs>(ThreadKernel, HostKernel);
    public static void ThreadKernel(Index1D index, ReverseSweepArgs a) => RunOwnThread(new ThreadSchedule(), index, a);

    /// <summary>
    /// Host schedule: <see cref="ThreadKernel"/>'s body with SIMD row products, run as .NET code (never by ILGPU);
    /// the layer calls it for every sequence through <c>HostExecution</c>.
    /// </summary>
    public static void HostKernel(Index1D index, ReverseSweepArgs a) => RunOwnThread(new HostSchedule(), index, a);

    // Host execution calls this directly: optimise at the first call (no tier-0 code), since a benchmark or a short
    // job would otherwise time unoptimised loops (measured 3-4x slower in a 4-call run). ILGPU ignores the flag.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void RunOwnThread<TSchedule>(TSchedule schedule, int sequence, ReverseSweepArgs a)
        where TSchedule : struct, ISweepSchedule
    {
        int h = a.Forward.Hidden;
        long hh = (long)h * h;
        var vectors = a.Forward.Vectors.SubView((long)sequence * 3 * h, 3 * h);
        Run(schedule, a, sequence, vectors.SubView(0, h), vectors.SubView(h, h),
            a.Rebuild.SubView(sequence * hh, hh), a.FastWeightGrad.SubView(sequence * hh, hh));
    }

    public static void GroupKernel(ReverseSweepArgs a)
    {
        int sequence = Grid.IdxX;
        int groupSize = Group.DimX;
        int h = a.Forward.Hidden;
        long hh = (long)h * h;
        var shared = SharedMemory.GetDynamic<float>();
        var partials = shared.SubView(0, 2 * groupSize);
        int offset = 2 * groupSize;
        var dh = shared.SubView(offset, h);
        var dv = shared.SubView(offset + h, h);
        ArrayView<float> fastWeights, fastWeightGrad;
        if (a.Forward.FastWeightsOnChip != 0)
        {
            fastWeights = shared.SubView(offset + 2 * h, hh);
            fastWeightGrad = shared.SubView(offset + 2 * h + hh, hh);
        }
        else
        {
            fastWeights = a.Rebuild.SubView(sequence * hh, hh);
            fastWeightGrad = a.FastWeightGrad.SubView(sequence * hh, hh);
        }
        Run(new GroupSchedule(partials, Group.IdxX, groupSize, matricesInGlobal: a.Forward.FastWeightsOnChip == 0), a, sequence, dh, dv, fastWeights, fastWeightGrad);
    }

    /// <summary>Shared-memory floats the group kernel needs.</summary>
    public static int GroupSharedFloats(int hidden, int groupSize, bool fastWeightsOnChip) =>
        2 * groupSize + 2 * hidden + (fastWeightsOnChip ? 2 * hidden * hidden : 0);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Run<TSchedule>(TSchedule schedule, ReverseSweepArgs a, int q,
        ArrayView<float> dh, ArrayView<float> dv, ArrayView<float> fastWeights, ArrayView<float> fastWeightGrad)
        where TSchedule : struct, ISweepSchedule
    {
        int H = a.Forward.Hidden, T = a.Forward.Time, S = a.Forward.InnerSteps, K = a.Forward.CheckpointInterval;
        long hh = (long)H * H;
        int first = schedule.First, stride = schedule.Stride;
        float decay = a.Forward.Decay, fastLr = a.Forward.FastLr;
        long stateBase = (long)q * (T + 1) * H;
        var dGain = a.LayerNormGrad.SubView((long)q * 2 * H, H);
        var dBias = a.LayerNormGrad.SubView((long)q * 2 * H + H, H);

        // The carry between windows: own rows only, so no barrier is needed before the save at the end.
        // In the thread schedule (and the group schedule off chip) A and Ā already live there: the copies are no-ops.
        var carryDh = a.Forward.Vectors.SubView((long)q * 3 * H, H);
        var carryA = a.Rebuild.SubView(q * hh, hh);
        var carryGrad = a.FastWeightGrad.SubView(q * hh, hh);
        if (a.WindowEnd == T)
        {
            // dh ← dhT, Ā ← dAT, A ← A(T) (the last stored copy).
            var finalA = a.Forward.Checkpoints.SubView(((long)(a.Forward.CheckpointCount - 1) * a.Forward.Batch + q) * hh, hh);
            for (int i = first; i < H; i += stride)
            {
                dh[i] = a.HasDhT != 0 ? a.DhT[(long)q * H + i] : 0f;
                dGain[i] = 0f;
                dBias[i] = 0f;
            }
            if (a.HasDAT != 0)
                schedule.CopyRows(fastWeightGrad, 0, a.DAT, q * hh, H);
            else
                schedule.FillRows(fastWeightGrad, 0, 0f, H);
            schedule.CopyRows(fastWeights, 0, finalA, 0, H);
        }
        else
        {
            for (int i = first; i < H; i += stride)
                dh[i] = carryDh[i];
            schedule.CopyRows(fastWeightGrad, 0, carryGrad, 0, H);
            schedule.CopyRows(fastWeights, 0, carryA, 0, H);
        }
        schedule.Barrier();

        int slot = 0;
        for (int t = a.WindowEnd - 1; t >= a.WindowStart; t--)
        {
            var h = a.Forward.States.SubView(stateBase + (long)(t + 1) * H, H);   // h_t, the output of step t
            long stepBase = ((long)q * T + t) * H;
            long innerBase = ((long)q * T + t) * S;

            // y_t = h_t and the write A(t+1) = λA(t) + η h hᵀ: dh += dy_t + η (Ā + Āᵀ) h. Āᵀh goes through dv, free
            // here (its last readers passed the barrier after the previous step's dz), own rows only.
            long hOffset = stateBase + (long)(t + 1) * H;
            schedule.TransposedProduct(fastWeightGrad, 0, a.Forward.States, hOffset, dv, 0, H);
            schedule.ProductAdd(fastWeightGrad, 0, a.Forward.States, hOffset, dv, 0, H);
            for (int i = first; i < H; i += stride)
                dh[i] += a.Dy[stepBase + i] + fastLr * dv[i];
            schedule.Barrier();

            // Ā ← λĀ (the write's gradient for A(t)); A(t+1) → A(t): re-anchor or rebuild.
            bool anchor = t % K == 0;
            long anchorSlot = a.AnchorSlot >= 0 ? a.AnchorSlot : t / K;
            var stored = a.Forward.Checkpoints.SubView((anchorSlot * a.Forward.Batch + q) * hh, hh);
            schedule.ScaleRows(fastWeightGrad, 0, decay, H);
            if (anchor)
                schedule.CopyRows(fastWeights, 0, stored, 0, H);
            else
                schedule.UndoRankOneUpdate(fastWeights, 0, fastLr, a.Forward.States, hOffset, a.Forward.States, hOffset, decay, H);
            for (int i = first; i < H; i += stride)
                a.Dz[stepBase + i] = 0f;
            schedule.Barrier();

            // Inner steps in reverse: dn = dh ⊙ f'(n); LN backward → dv; dz += dv; Ā += dv h_sᵀ; dh = Aᵀ dv.
            for (int s = S - 1; s >= 0; s--)
            {
                long inner = innerBase + s;
                var hOut = s + 1 < S ? a.Forward.InnerStates.SubView((inner + 1) * H, H) : h;
                var xhat = a.Forward.Normalized.SubView(inner * H, H);
                float inverseStd = a.Forward.InverseStd[inner];
                // dx̂ is recomputed rather than kept in dv: other threads may still be reading the previous inner step's dv
                // until they reach the barrier inside the sums (or, without layer norm, the barrier standing in for them).
                slot = InnerLayerNorm.Backward(schedule, slot, first, stride, H, a.Forward.LayerNorm, a.Forward.Activation, dh, hOut, xhat,
                    inverseStd, a.Forward.LnGain, dGain, dBias, dv, a.Dz, stepBase);
                schedule.RankOneUpdate(fastWeightGrad, 0, 1f, 1f, dv, 0, a.Forward.InnerStates, inner * H, H);
                schedule.Barrier();
                schedule.TransposedProduct(fastWeights, 0, dv, 0, dh, 0, H);
                // The next write of dv comes after the next Sum's barrier, which every thread
                // reaches only once it has finished reading dv here.
            }

            // h_0 = f(z): dz += dh_0 ⊙ f'(z); then dh_{t−1} = Wᵀ dz.
            var preliminary = a.Forward.InnerStates.SubView(innerBase * H, H);
            for (int i = first; i < H; i += stride)
                a.Dz[stepBase + i] += dh[i] * ActivationMath.DerivativeFromOutput(a.Forward.Activation, preliminary[i]);
            schedule.Barrier();
            schedule.TransposedProduct(a.Forward.W, 0, a.Dz, stepBase, dh, 0, H);
        }

        if (a.WindowStart > 0)
        {
            for (int i = first; i < H; i += stride)
                carryDh[i] = dh[i];
            schedule.CopyRows(carryGrad, 0, fastWeightGrad, 0, H);
            schedule.CopyRows(carryA, 0, fastWeights, 0, H);
            return;
        }
        if (a.HasDh0 != 0)
            for (int i = first; i < H; i += stride)
                a.DH0[(long)q * H + i] = dh[i];
        if (a.HasDA0 != 0)
            schedule.CopyRows(a.DA0, q * hh, fastWeightGrad, 0, H);
    }
}
