using FastWeights.Kernels.FastWeightRnn;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;

namespace FastWeights.Kernels.LinearFastWeights;

/// <summary>
/// The forward recurrence of docs/linear-fast-weights.md §1 for every (sequence, head) of a batch in one
/// launch. Per step: features φ(k), φ(q) (normalised for the delta rule), then per row i of W:
/// v̄_i = W_i·φ̃(k) (delta), W_i += u_i φ̃(k)ᵀ, y_i = W_i·φ̃(q) (divided by zᵀφ(q) + ε for the normalised sum rule).
/// With <see cref="LinearFastWeightOptions.CompensatedSums"/>, W and z are Kahan sums (<see cref="CompensatedSum"/>).
/// The math is written once in <see cref="Run{TSchedule}"/> over an <see cref="ISweepSchedule"/>.
/// </summary>
/// <remarks>
/// Ownership: feature element j belongs to the thread with j ≡ First (mod Stride), row i of W likewise; all
/// reads and writes of W are of own rows, so W needs no barriers; the feature vectors are read whole, so one
/// barrier after writing them and one before rewriting them. W lives in the workspace (global memory) for
/// both schedules. Stored per step: v̄ (delta rule), or y and the denominator (normalised sum rule); W never (unless
/// the store-all baseline is on).
/// </remarks>
internal static class LinearForwardSweep
{
    /// <summary>Floats of per-(sequence, head) vectors both sweeps use: 4d' + 3m.</summary>
    public static int VectorFloats(int featureSize, int valueSize) => 4 * featureSize + 3 * valueSize;

    /// <summary>Thread schedule: one thread per (sequence, head), vectors in global scratch.</summary>
    public static void ThreadKernel(Index1D index, LinearSweepArgs a)
    {
        int s = index;
        int floats = VectorFloats(a.FeatureSize, a.ValueSize);
        Run(new ThreadSchedule(), a, s, a.Vectors.SubView((long)s * floats, floats));
    }

    /// <summary>Group schedule: one group per (sequence, head), vectors in shared memory.</summary>
    public static void GroupKernel(LinearSweepArgs a)
    {
        int groupSize = Group.DimX;
        var shared = SharedMemory.GetDynamic<float>();
        Run(new GroupSchedule(shared.SubView(0, 2 * groupSize), Group.IdxX, groupSize), a, Grid.IdxX,
            shared.SubView(2 * groupSize, VectorFloats(a.FeatureSize, a.ValueSize)));
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
        for (int i = first; i < m; i += stride)
            for (int j = 0; j < D; j++)
            {
                w[(long)i * D + j] = a.HasW0 != 0 ? a.W0[s * md + (long)i * D + j] : 0f;
                CompensatedSum.Reset(wLoss, (long)i * D + j, comp);
            }
        if (a.KeepsZ != 0)
            for (int j = first; j < D; j += stride)
            {
                z[j] = a.HasZ0 != 0 ? a.Z0[(long)s * D + j] : 0f;
                CompensatedSum.Reset(zLoss, j, comp);
            }

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
            }
            schedule.Barrier();

            // Rows (own i): v̄_i, W_i += u_i φ̃(k)ᵀ, y_i = W_i · φ̃(q).
            float rate = a.Delta != 0 ? 1f / (1f + XMath.Exp(-a.Beta[row])) : 1f;
            for (int i = first; i < m; i += stride)
            {
                long ri = (long)i * D;
                if (a.StoreAll != 0)
                {
                    long stored = ((long)s * T + t) * md + ri;
                    for (int j = 0; j < D; j++)
                        a.History[stored + j] = CompensatedSum.Value(w[ri + j], wLoss, ri + j, comp);
                }
                float u = a.V[valueOffset + i];
                if (a.Delta != 0)
                {
                    float retrieved = 0f;
                    for (int j = 0; j < D; j++)
                        retrieved += w[ri + j] * fk[j];
                    a.VBar[valueOffset + i] = retrieved;
                    u = rate * (u - retrieved);
                }
                float o = 0f;
                for (int j = 0; j < D; j++)
                {
                    float wij = CompensatedSum.Add(w[ri + j], u * fk[j], wLoss, ri + j, comp);
                    w[ri + j] = wij;
                    o += wij * fq[j];
                }
                float yi = o * outputScale;
                a.Y[valueOffset + i] = yi;
                if (a.KeepsZ != 0)
                    a.Outputs[valueOffset + i] = yi;
            }
            schedule.Barrier();
        }

        // State out: the compensated value rounded once to float32 (the compensation itself stays in the workspace for
        // the backward; a caller carrying WT into the next call carries this rounded value).
        for (int i = first; i < m; i += stride)
            for (int j = 0; j < D; j++)
                a.WT[s * md + (long)i * D + j] = CompensatedSum.Value(w[(long)i * D + j], wLoss, (long)i * D + j, comp);
        if (a.HasZT != 0)
            for (int j = first; j < D; j += stride)
                a.ZT[(long)s * D + j] = CompensatedSum.Value(z[j], zLoss, j, comp);
    }
}
