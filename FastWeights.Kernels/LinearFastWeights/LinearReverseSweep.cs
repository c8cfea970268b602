using FastWeights.Kernels.FastWeightRnn;
using ILGPU.Algorithms;

namespace FastWeights.Kernels.LinearFastWeights;

/// <summary>
/// The hand-derived backward of docs/linear-fast-weights.md §3 for every (sequence, head) in one launch. It walks
/// t = T … 1 carrying G = dL/dW_t (and g_z = dL/dz_t), and rebuilds W_{t−1} = W_t − u_t φ̃(k_t)ᵀ (and
/// z_{t−1} = z_t − φ(k_t)) from the stored v̄_t, so no W is stored per step, except at the forward's anchors (W before a
/// step where the walk back from a later W would lose more than the bound of docs/linear-fast-weights.md §4), which it reads
/// back. A column of W that no earlier key touched is reset to its exact initial value (see the counts below).
/// </summary>
/// <remarks>
/// Phases per step, separated by barriers: (A) features, own j; (B) rows of W and G, own i: G += dȳ φ̃(q)ᵀ, du = G φ̃(k),
/// dv, dβ; (C) columns of W and G, own j: dφ̃(q) = W_tᵀ dȳ, dφ̃(k), then W and G stepped back one step; (D) through
/// the normalisation and φ to dq, dk, own element of the d-vectors. (B) reads rows and (C) columns, which is why the
/// barrier between them is needed: a thread's column crosses every other thread's rows.
/// </remarks>
internal static class LinearReverseSweep
{
    /// <summary>How a layer loads <see cref="ThreadKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LinearSweepArgs>> ThreadEntry = AutoGrouped<LinearSweepArgs>(ThreadKernel);
    /// <summary>How a layer loads <see cref="GroupKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, LinearSweepArgs>> GroupEntry = Grouped<LinearSweepArgs>(GroupKernel);
    /// <summary>Thread schedule: one thread per (sequence, head), vectors in global scratch.</summary>
    public static void ThreadKernel(Index1D index, LinearSweepArgs a)
    {
        Run(new ThreadSchedule(), a, index, SweepScratch.Thread(a.Vectors, index, LinearForwardSweep.VectorFloats(a.FeatureSize, a.ValueSize)));
    }

    /// <summary>Group schedule: one group per (sequence, head), vectors in shared memory.</summary>
    public static void GroupKernel(LinearSweepArgs a)
    {
        var shared = SharedMemory.GetDynamic<float>();
        Run(SweepScratch.GroupOver(shared, matricesInGlobal: true), a, Grid.IdxX,
            SweepScratch.GroupVectors(shared, LinearForwardSweep.VectorFloats(a.FeatureSize, a.ValueSize)));
    }

    private static void Run<TSchedule>(TSchedule schedule, LinearSweepArgs a, int s, ArrayView<float> vectors)
        where TSchedule : struct, ISweepSchedule
    {
        int H = a.Heads, T = a.Time, d = a.KeySize, m = a.ValueSize, D = a.FeatureSize;
        int b = s / H, h = s - b * H;
        int first = schedule.First, stride = schedule.Stride;
        // Row phases are row-cooperative as in the forward (a warp per row of W and G in the group kernel, docs/gpu.md §3);
        // the column phase (C) has lanes over columns, consecutive floats too.
        int lane = schedule.Lane, lanes = schedule.Lanes, blockRows = schedule.RowBlockSize;
        int blockStart = schedule.RowBlockStart, blockStride = schedule.RowBlockStride;
        long md = (long)m * D;
        bool keepsZ = a.KeepsZ != 0, delta = a.Delta != 0, normalizeKeys = delta && a.Normalize != 0;
        var w = a.Rebuild.SubView(s * md, md);
        var g = a.Grad.SubView(s * md, md);
        var z = a.RebuildZ.SubView(keepsZ ? (long)s * D : 0, keepsZ ? D : 1);
        var gz = a.GradZ.SubView(keepsZ ? (long)s * D : 0, keepsZ ? D : 1);
        // With Compensate the rebuilt W and z stay Kahan sums (value = w − wLoss), continuing the forward's: each step
        // back subtracts the increment with the same compensation, so W_t is recovered to about one rounding.
        int comp = a.Compensate;
        var wLoss = a.RebuildLoss.SubView(comp != 0 ? s * md : 0, comp != 0 ? md : 1);
        var zLoss = a.RebuildZLoss.SubView(comp != 0 && keepsZ ? (long)s * D : 0, comp != 0 && keepsZ ? D : 1);
        var k = vectors.SubView(0, D);              // φ̃(k_t)
        var q = vectors.SubView(D, D);              // φ̃(q_t)
        var dk = vectors.SubView(2 * D, D);         // dL/dφ̃(k_t), then dL/dφ(k_t)
        var dq = vectors.SubView(3 * D, D);         // dL/dφ̃(q_t), then dL/dφ(q_t)
        var dOut = vectors.SubView(4 * D, m);       // dL/d(W_t φ̃(q_t)) = dy (÷ den for the normalised sum rule)
        var u = vectors.SubView(4 * D + m, m);      // the increment's left factor u_t
        var du = vectors.SubView(4 * D + 2 * m, m); // dL/du_t = G_t φ̃(k_t)

        // Start from the forward's final state (kept in the workspace, so a second backward starts afresh).
        for (int block = blockStart; block < m; block += blockStride)
            for (int r = 0; r < blockRows && block + r < m; r++)
                for (int j = lane; j < D; j += lanes)
                {
                    long ij = (long)(block + r) * D + j;
                    w[ij] = a.FinalW[s * md + ij];
                    CompensatedSum.Copy(wLoss, ij, a.FinalWLoss, s * md + ij, comp);
                    g[ij] = a.HasDwT != 0 ? a.DwT[s * md + ij] : 0f;
                }
        if (keepsZ)
            for (int j = first; j < D; j += stride)
            {
                z[j] = a.FinalZ[(long)s * D + j];
                CompensatedSum.Copy(zLoss, j, a.FinalZLoss, (long)s * D + j, comp);
                gz[j] = a.HasDzT != 0 ? a.DzT[(long)s * D + j] : 0f;
            }
        // Per column j, how many steps have φ(k_t)_j ≠ 0: when the walk back passes the first of them, column j of W
        // (and z_j) is exactly its initial value again, and is reset to it rather than left with rounding residue.
        var counts = a.Counts.SubView((long)s * D, D);
        for (int j = first; j < D; j += stride)
        {
            float n = 0f;
            for (int t = 0; t < T; t++)
                if (FeatureMapMath.Feature(a.Map, a.K, (((long)b * T + t) * H + h) * d, d, j) != 0f)
                    n += 1f;
            counts[j] = n;
        }
        schedule.Barrier();

        // Anchors (docs/linear-fast-weights.md §4): where the forward stored W before step t, the step back reads that copy
        // instead of subtracting, so the rounding a long walk back from a much larger W would carry never reaches W_{t−1}.
        // Before step 0 W is the input W0 itself. The host has checked that every needed anchor had a slot.
        int slots = a.AnchorSlots;
        var anchors = a.Anchors.SubView(slots > 0 ? s * slots * md : 0, slots > 0 ? slots * md : 1);
        int nextAnchor = slots > 0 ? (int)XMath.Min(a.Status[2L * s], (float)slots) - 1 : -1;

        int slot = 0;
        for (int t = T - 1; t >= 0; t--)
        {
            long row = ((long)b * T + t) * H + h;
            long keyOffset = row * d, valueOffset = row * m;
            int anchor = -1;
            if (nextAnchor >= 0 && a.AnchorSteps[(long)s * slots + nextAnchor] == t)
            {
                anchor = nextAnchor;
                nextAnchor--;
            }

            // (A) Features as in the forward.
            float sumK = 0f, sumQ = 0f;
            for (int j = first; j < D; j += stride)
            {
                float kj = FeatureMapMath.Feature(a.Map, a.K, keyOffset, d, j);
                float qj = FeatureMapMath.Feature(a.Map, a.Q, keyOffset, d, j);
                k[j] = kj;
                q[j] = qj;
                sumK += kj;
                sumQ += qj;
            }
            float scaleK = 1f, scaleQ = 1f, outputScale = 1f;
            if (normalizeKeys)
            {
                scaleK = 1f / (schedule.Sum(sumK, slot) + a.Epsilon);
                slot ^= 1;
                scaleQ = 1f / (schedule.Sum(sumQ, slot) + a.Epsilon);
                slot ^= 1;
                for (int j = first; j < D; j += stride)
                {
                    k[j] *= scaleK;
                    q[j] *= scaleQ;
                }
            }
            // The denominator and y are the forward's, from the tape: recomputed from the rebuilt W and z they carry
            // rounding residues that the division amplifies by 1/den², and den is as small as ε when a query meets
            // no stored key yet (sparse DPFP features; docs/linear-fast-weights.md §4).
            if (keepsZ)
                outputScale = 1f / a.Den[row];
            schedule.Barrier();

            // (B) Rows, own i.
            float rate = delta ? 1f / (1f + XMath.Exp(-a.Beta[row])) : 1f;
            float partialDen = 0f, partialRate = 0f;
            // Rows in batches of RowSums.Rows: every lane updates its columns of G and adds its part of du; the batch's
            // lane sums are reduced together; then each owner finishes its row.
            for (int block = blockStart; block < m; block += blockStride)
                for (int r0 = 0; r0 < blockRows && block + r0 < m; r0 += RowSums.Rows)
                {
                    var duSums = new RowSums();
                    for (int n = 0; n < RowSums.Rows && r0 + n < blockRows && block + r0 + n < m; n++)
                    {
                        int i = block + r0 + n;
                        long ri = (long)i * D;
                        float dyi = a.Dy[valueOffset + i];
                        if (keepsZ)
                            dyi *= outputScale;
                        // G_t gains the output's term dȳ φ̃(q)ᵀ; then du = G_t φ̃(k).
                        float partial = 0f;
                        for (int j = lane; j < D; j += lanes)
                        {
                            float gij = g[ri + j] + dyi * q[j];
                            g[ri + j] = gij;
                            partial += gij * k[j];
                        }
                        duSums.Add(n, partial);
                    }
                    duSums = schedule.LaneSum(duSums);
                    int mine = lane - r0;
                    if (mine >= 0 && mine < RowSums.Rows && block + lane < m)
                    {
                        int i = block + lane;
                        float dyi = a.Dy[valueOffset + i];
                        if (keepsZ)
                        {
                            // y = o/den: dL/d den = −Σ_i dy_i y_i / den.
                            partialDen += dyi * a.Outputs[valueOffset + i];
                            dyi *= outputScale;
                        }
                        dOut[i] = dyi;
                        float vi = a.V[valueOffset + i];
                        float residual = delta ? vi - a.VBar[valueOffset + i] : vi;
                        u[i] = delta ? rate * residual : vi;
                        float dui = duSums.Get(mine);
                        du[i] = dui;
                        a.Dv[valueOffset + i] = delta ? rate * dui : dui;
                        partialRate += dui * residual;
                    }
                }
            float dDen = 0f;
            if (keepsZ)
            {
                dDen = -schedule.Sum(partialDen, slot) * outputScale;
                slot ^= 1;
            }
            if (delta)
            {
                float dRate = schedule.Sum(partialRate, slot);
                slot ^= 1;
                if (first == 0)
                    a.DBeta[row] = dRate * rate * (1f - rate);
            }
            schedule.Barrier();

            // (C) Columns, own j: gradients of the features, then W, G (and z, g_z) one step back.
            float partialK = 0f, partialQ = 0f;
            for (int j = first; j < D; j += stride)
            {
                float kj = k[j];
                float dqj = 0f, dkj = 0f;
                for (int i = 0; i < m; i++)
                {
                    long ij = (long)i * D + j;
                    float wij = w[ij], gij = g[ij];
                    dqj += wij * dOut[i];
                    // W_{t−1} = W_t − u_i φ̃(k)_j (store-all: read back, compensation 0).
                    float previous;
                    if (a.StoreAll != 0)
                    {
                        previous = a.History[((long)s * T + t) * md + ij];
                        CompensatedSum.Reset(wLoss, ij, comp);
                    }
                    else if (anchor >= 0)
                    {
                        previous = anchors[(long)anchor * md + ij];
                        CompensatedSum.Reset(wLoss, ij, comp);
                    }
                    else if (t == 0)
                    {
                        previous = a.HasW0 != 0 ? a.W0[s * md + ij] : 0f;
                        CompensatedSum.Reset(wLoss, ij, comp);
                    }
                    else
                    {
                        previous = CompensatedSum.Add(wij, -u[i] * kj, wLoss, ij, comp);
                    }
                    dkj += gij * u[i];
                    if (delta)
                    {
                        // v̄ = W_{t−1} φ̃(k): dL/dv̄ = −σ(β) du reaches φ̃(k) through W_{t−1} and W_{t−1} itself.
                        float dRetrieved = -rate * du[i];
                        dkj += previous * dRetrieved;
                        g[ij] = gij + dRetrieved * kj;
                    }
                    w[ij] = previous;
                }
                if (keepsZ)
                {
                    dqj += dDen * z[j];
                    float gzj = gz[j] + dDen * q[j];
                    gz[j] = gzj;
                    dkj += gzj;
                    z[j] = CompensatedSum.Add(z[j], -kj, zLoss, j, comp);
                }
                if (FeatureMapMath.Feature(a.Map, a.K, keyOffset, d, j) != 0f)
                {
                    float left = counts[j] - 1f;
                    counts[j] = left;
                    if (left == 0f)
                    {
                        for (int i = 0; i < m; i++)
                        {
                            w[(long)i * D + j] = a.HasW0 != 0 ? a.W0[s * md + (long)i * D + j] : 0f;
                            CompensatedSum.Reset(wLoss, (long)i * D + j, comp);
                        }
                        if (keepsZ)
                        {
                            z[j] = a.HasZ0 != 0 ? a.Z0[(long)s * D + j] : 0f;
                            CompensatedSum.Reset(zLoss, j, comp);
                        }
                    }
                }
                dk[j] = dkj;
                dq[j] = dqj;
                partialK += dkj * kj;
                partialQ += dqj * q[j];
            }
            if (normalizeKeys)
            {
                // φ̃ = φ c with c = 1/(Σφ + ε): dL/dφ_j = c (dL/dφ̃_j − Σ_l dL/dφ̃_l φ̃_l).
                float projectionK = schedule.Sum(partialK, slot);
                slot ^= 1;
                float projectionQ = schedule.Sum(partialQ, slot);
                slot ^= 1;
                for (int j = first; j < D; j += stride)
                {
                    dk[j] = scaleK * (dk[j] - projectionK);
                    dq[j] = scaleQ * (dq[j] - projectionQ);
                }
            }
            schedule.Barrier();

            // (D) Through φ, own element of the d-vectors. The next step's (A) writes only k and q, which (D) does not read.
            for (int i = first; i < d; i += stride)
            {
                a.Dk[keyOffset + i] = FeatureMapMath.Gradient(a.Map, a.K, keyOffset, d, dk, i);
                a.Dq[keyOffset + i] = FeatureMapMath.Gradient(a.Map, a.Q, keyOffset, d, dq, i);
            }
        }

        // dL/dW_0 and dL/dz_0. G's last writes were by columns in (C); these reads are by rows.
        schedule.Barrier();
        if (a.HasDw0 != 0)
            for (int block = blockStart; block < m; block += blockStride)
                for (int r = 0; r < blockRows && block + r < m; r++)
                    for (int j = lane; j < D; j += lanes)
                        a.Dw0[s * md + (long)(block + r) * D + j] = g[(long)(block + r) * D + j];
        if (a.HasDz0 != 0)
            for (int j = first; j < D; j += stride)
                a.Dz0[(long)s * D + j] = gz[j];
    }
}
