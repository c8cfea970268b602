using FastWeights.Kernels.FastWeightRnn;
using ILGPU.Algorithms;

namespace FastWeights.Kernels.LinearFastWeights;

/// <summary>
/// The forward recurrence of docs/linear-fast-weights.md §1 for every (sequence, head) of a batch in one
/// launch. Per step: features φ(k), φ(q) (normalised for the delta rule), then per row i of W:
/// v̄_i = W_i·φ̃(k) (delta), W_i += u_i φ̃(k)ᵀ, y_i = W_i·φ̃(q) (divided by zᵀφ(q) + ε for the normalised sum rule).
/// With <see cref="LinearFastWeightOptions.CompensatedSums"/>, W and z are Kahan sums (<see cref="CompensatedSum"/>).
/// The math is written once in <see cref="Run{TSchedule}"/> over an <see cref="ISweepSchedule"/>.
/// </summary>
/// <remarks>
/// Ownership: feature element j belongs to the thread with j ≡ First (mod Stride), row i of W likewise (its results:
/// v̄_i, u_i, y_i); the elements of row i are walked by the lanes that share it (the owner's warp in the group kernel,
/// <see cref="ISweepSchedule.RowBlockStart"/>), each always by the same lane, so W needs no barriers; the feature vectors are read whole, so one
/// barrier after writing them and one before rewriting them. W lives in the workspace (global memory) for
/// both schedules. Stored per step: v̄ (delta rule), or y and the denominator (normalised sum rule); W only at the
/// rebuild's anchors (docs/linear-fast-weights.md §4), or before every step with the store-all baseline.
/// </remarks>
internal static class LinearForwardSweep
{
    /// <summary>How a layer loads <see cref="ThreadKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LinearSweepArgs>> ThreadEntry = AutoGrouped<LinearSweepArgs>(ThreadKernel);
    /// <summary>How a layer loads <see cref="GroupKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, LinearSweepArgs>> GroupEntry = Grouped<LinearSweepArgs>(GroupKernel);
    /// <summary>
    /// Γ of the anchor rule: the rebuild may subtract increments of at most Γ‖W_t‖₁ (entrywise L1) in total on its way
    /// from the last anchor back to W_t, so the rebuilt W_t is off by at most about (3Γ + 1)u‖W_t‖₁ ≈ 1.2e-5‖W_t‖₁
    /// (u = 2⁻²⁴: 2Γu from the subtractions, (1 + Γ)u from the anchor's own rounding; docs/linear-fast-weights.md §4).
    /// </summary>
    public const float AnchorGrowth = 64f;

    /// <summary>Floats of per-(sequence, head) vectors both sweeps use: 4d' + 3m.</summary>
    public static int VectorFloats(int featureSize, int valueSize) => 4 * featureSize + 3 * valueSize;

    /// <summary>Thread schedule: one thread per (sequence, head), vectors in global scratch.</summary>
    public static void ThreadKernel(Index1D index, LinearSweepArgs a)
    {
        Run(new ThreadSchedule(), a, index, SweepScratch.Thread(a.Vectors, index, VectorFloats(a.FeatureSize, a.ValueSize)));
    }

    /// <summary>Group schedule: one group per (sequence, head), vectors in shared memory.</summary>
    public static void GroupKernel(LinearSweepArgs a)
    {
        var shared = SharedMemory.GetDynamic<float>();
        Run(SweepScratch.GroupOver(shared, matricesInGlobal: true), a, Grid.IdxX, SweepScratch.GroupVectors(shared, VectorFloats(a.FeatureSize, a.ValueSize)));
    }

    /// <summary>Shared-memory floats of the group kernels (both sweeps): two reduction slots plus the vectors.</summary>
    public static int GroupSharedFloats(int groupSize, int featureSize, int valueSize) =>
        2 * groupSize + VectorFloats(featureSize, valueSize);

    private static void Run<TSchedule>(TSchedule schedule, LinearSweepArgs a, int s, ArrayView<float> vectors)
        where TSchedule : struct, ISweepSchedule
    {
        int H = a.Heads, T = a.Time, d = a.KeySize, m = a.ValueSize, D = a.FeatureSize;
        int b = s / H, h = s - b * H;
        int first = schedule.First, stride = schedule.Stride;
        // Row work is row-cooperative (ISweepSchedule.RowBlockStart): in the group kernel a warp walks each row of W,
        // lanes over columns, so its reads are consecutive floats (docs/gpu.md §3); lane r holds row block + r's results.
        int lane = schedule.Lane, lanes = schedule.Lanes, blockRows = schedule.RowBlockSize;
        int blockStart = schedule.RowBlockStart, blockStride = schedule.RowBlockStride;
        long md = (long)m * D;
        var w = a.FinalW.SubView(s * md, md);
        var z = a.FinalZ.SubView(a.KeepsZ != 0 ? (long)s * D : 0, a.KeepsZ != 0 ? D : 1);
        var fk = vectors.SubView(0, D);
        var fq = vectors.SubView(D, D);

        // W and z are sums of T increments: with Compensate, Kahan sums, the value being w − wLoss, so that their float32
        // error stays about one rounding instead of a random walk of T roundings (docs/linear-fast-weights.md §4).
        int comp = a.Compensate;
        var wLoss = a.FinalWLoss.SubView(comp != 0 ? s * md : 0, comp != 0 ? md : 1);
        var zLoss = a.FinalZLoss.SubView(comp != 0 && a.KeepsZ != 0 ? (long)s * D : 0, comp != 0 && a.KeepsZ != 0 ? D : 1);

        // State in: W ← W0 (or 0), z ← z0 (or 0). WT/W0 may alias: W0 is read only here, WT written only at the end.
        for (int block = blockStart; block < m; block += blockStride)
            for (int r = 0; r < blockRows && block + r < m; r++)
                for (int j = lane; j < D; j += lanes)
                {
                    long ij = (long)(block + r) * D + j;
                    w[ij] = a.HasW0 != 0 ? a.W0[s * md + ij] : 0f;
                    CompensatedSum.Reset(wLoss, ij, comp);
                }
        if (a.KeepsZ != 0)
            for (int j = first; j < D; j += stride)
            {
                z[j] = a.HasZ0 != 0 ? a.Z0[(long)s * D + j] : 0f;
                CompensatedSum.Reset(zLoss, j, comp);
            }

        // The rebuild's anchors (docs/linear-fast-weights.md §4): slack = min over the steps t since the last exactly known W
        // of Γ‖W_t‖₁ − Σ_{r>t} ‖u_r k̃_rᵀ‖₁, the room left before stepping back to W_t from the current W would lose more
        // than the bound. Every quantity here comes from schedule.Sum, so all threads of a group take the same decisions.
        int slots = a.AnchorSlots;
        var anchors = a.Anchors.SubView(slots > 0 ? s * slots * md : 0, slots > 0 ? slots * md : 1);
        var u = vectors.SubView(4 * D, m);
        float slack = float.PositiveInfinity; // W_0 is the input itself: exact
        int needed = 0;
        float notFinite = 0f;

        int slot = 0;
        for (int t = 0; t < T; t++)
        {
            long row = ((long)b * T + t) * H + h;
            long keyOffset = row * d, valueOffset = row * m;

            // Features (own j), their sums, and for the normalised sum rule z += φ(k) and zᵀφ(q).
            float sumK = 0f, sumQ = 0f, dot = 0f;
            for (int j = first; j < D; j += stride)
            {
                float kj = FeatureMapMath.Feature(a.Map, a.K, keyOffset, d, j);
                float qj = FeatureMapMath.Feature(a.Map, a.Q, keyOffset, d, j);
                fk[j] = kj;
                fq[j] = qj;
                sumK += kj;
                sumQ += qj;
                if (a.KeepsZ != 0)
                {
                    float zj = CompensatedSum.Add(z[j], kj, zLoss, j, comp);
                    z[j] = zj;
                    dot += zj * qj;
                }
            }
            float outputScale = 1f;
            if (a.Delta != 0 && a.Normalize != 0)
            {
                float scaleK = 1f / (schedule.Sum(sumK, slot) + a.Epsilon);
                slot ^= 1;
                float scaleQ = 1f / (schedule.Sum(sumQ, slot) + a.Epsilon);
                slot ^= 1;
                for (int j = first; j < D; j += stride)
                {
                    fk[j] *= scaleK;
                    fq[j] *= scaleQ;
                }
            }
            if (a.KeepsZ != 0)
            {
                float den = schedule.Sum(dot, slot) + a.Epsilon;
                slot ^= 1;
                outputScale = 1f / den;
                if (first == 0)
                    a.Den[row] = den;
                if (!XMath.IsFinite(den))
                    notFinite = 1f;
            }
            schedule.Barrier();

            // Rows (own i), first pass: v̄_i and the increment's left factor u_i (kept in own scratch for the second pass).
            float rate = a.Delta != 0 ? 1f / (1f + XMath.Exp(-a.Beta[row])) : 1f;
            float partialU = 0f;
            // Rows in batches of RowSums.Rows, their lane sums reduced together; then each owner finishes its row.
            for (int block = blockStart; block < m; block += blockStride)
                for (int r0 = 0; r0 < blockRows && block + r0 < m; r0 += RowSums.Rows)
                {
                    var retrieved = new RowSums();
                    if (a.Delta != 0)
                    {
                        for (int q = 0; q < RowSums.Rows && r0 + q < blockRows && block + r0 + q < m; q++)
                        {
                            long ri = (long)(block + r0 + q) * D;
                            float partial = 0f;
                            for (int j = lane; j < D; j += lanes)
                                partial += w[ri + j] * fk[j];
                            retrieved.Add(q, partial);
                        }
                        retrieved = schedule.LaneSum(retrieved);
                    }
                    int mine = lane - r0;
                    if (mine >= 0 && mine < RowSums.Rows && block + lane < m)
                    {
                        int i = block + lane;
                        float ui = a.V[valueOffset + i];
                        if (a.Delta != 0)
                        {
                            float value = retrieved.Get(mine);
                            a.VBar[valueOffset + i] = value;
                            ui = rate * (ui - value);
                        }
                        u[i] = ui;
                        partialU += XMath.Abs(ui);
                    }
                }
            // ‖u k̃ᵀ‖₁ = ‖u‖₁‖k̃‖₁: what undoing this write costs the rebuild (one rounding of each increment element).
            // Every thread sums k̃ itself, in the same order, so the product is the same in all of them.
            float normK = 0f;
            for (int j = 0; j < D; j++)
                normK += XMath.Abs(fk[j]);
            float cost = schedule.Sum(partialU, slot) * normK;
            slot ^= 1;
            // Anchor W_{t−1} when undoing this write would take some W of the segment past its bound (at most once per
            // step; an anchored W is exact, so the segment restarts there).
            bool anchor = t > 0 && a.StoreAll == 0 && slack - cost < 0f;
            int anchorSlot = anchor ? needed : -1;
            if (anchor)
            {
                needed++;
                slack = float.PositiveInfinity;
                if (anchorSlot < slots && first == 0)
                    a.AnchorSteps[(long)s * slots + anchorSlot] = t;
            }

            // Second pass: W_i += u_i φ̃(k)ᵀ, y_i = W_i · φ̃(q), and ‖W_t‖₁ for the next decisions.
            float partialW = 0f;
            for (int block = blockStart; block < m; block += blockStride)
                for (int r0 = 0; r0 < blockRows && block + r0 < m; r0 += RowSums.Rows)
                {
                    var outputs = new RowSums();
                    for (int q = 0; q < RowSums.Rows && r0 + q < blockRows && block + r0 + q < m; q++)
                    {
                        int i = block + r0 + q;
                        long ri = (long)i * D;
                        if (a.StoreAll != 0)
                        {
                            long stored = ((long)s * T + t) * md + ri;
                            for (int j = lane; j < D; j += lanes)
                                a.History[stored + j] = CompensatedSum.Value(w[ri + j], wLoss, ri + j, comp);
                        }
                        if (anchorSlot >= 0 && anchorSlot < slots)
                        {
                            long stored = (long)anchorSlot * md + ri;
                            for (int j = lane; j < D; j += lanes)
                                anchors[stored + j] = CompensatedSum.Value(w[ri + j], wLoss, ri + j, comp);
                        }
                        float ui = u[i];   // the owner's, from the first pass: the Sum above fenced it
                        float o = 0f;
                        for (int j = lane; j < D; j += lanes)
                        {
                            float wij = CompensatedSum.Add(w[ri + j], ui * fk[j], wLoss, ri + j, comp);
                            w[ri + j] = wij;
                            o += wij * fq[j];
                            partialW += XMath.Abs(wij);
                        }
                        outputs.Add(q, o);
                    }
                    outputs = schedule.LaneSum(outputs);
                    int mine = lane - r0;
                    if (mine >= 0 && mine < RowSums.Rows && block + lane < m)
                    {
                        int i = block + lane;
                        float yi = outputs.Get(mine) * outputScale;
                        a.Y[valueOffset + i] = yi;
                        if (a.KeepsZ != 0)
                            a.Outputs[valueOffset + i] = yi;
                        // 0·|y_i| adds exactly nothing unless y_i is ±∞ or NaN, which turns the sum into NaN: one reduction
                        // then tells both ‖W_t‖₁ and whether y_t overflowed.
                        partialW += 0f * XMath.Abs(yi);
                    }
                }
            float normW = schedule.Sum(partialW, slot);
            slot ^= 1;
            if (!XMath.IsFinite(normW))
                notFinite = 1f;
            slack = XMath.Min(slack - cost, AnchorGrowth * normW);
            schedule.Barrier();
        }

        // State out: the compensated value rounded once to float32 (the compensation itself stays in the workspace for
        // the backward; a caller carrying WT into the next call carries this rounded value).
        for (int block = blockStart; block < m; block += blockStride)
            for (int r = 0; r < blockRows && block + r < m; r++)
                for (int j = lane; j < D; j += lanes)
                {
                    long ij = (long)(block + r) * D + j;
                    a.WT[s * md + ij] = CompensatedSum.Value(w[ij], wLoss, ij, comp);
                }
        if (a.HasZT != 0)
            for (int j = first; j < D; j += stride)
                a.ZT[(long)s * D + j] = CompensatedSum.Value(z[j], zLoss, j, comp);
        // What the host reads before a backward: whether the slots sufficed, and whether the forward stayed finite.
        if (first == 0)
        {
            a.Status[2L * s] = needed;
            a.Status[2L * s + 1] = notFinite;
        }
    }
}
