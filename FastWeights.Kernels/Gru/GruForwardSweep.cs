using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Lstm;
using FastWeights.Kernels.Primitives;
using ILGPU.Algorithms;

namespace FastWeights.Kernels.Gru;

/// <summary>Everything the GRU forward sweep reads and writes, passed by value to the kernel.</summary>
internal struct GruForwardSweepArgs
{
    public int Batch, Time, Hidden, HasH0;
    public float LnEps;

    public ArrayView<float> Projection;                             // [B,T,3H] p = W_x x_t
    public ArrayView<float> WH;                                     // [3H,H]
    public ArrayView<float> WHColumns;                              // [H,3H] column-major copy of W_h (group kernel only)
    public ArrayView<float> InputLnGain, InputLnBias;               // [3H], [3H]
    public ArrayView<float> RecurrentLnGain, RecurrentLnBias;       // [3H], [3H]
    public ArrayView<float> H0;                                     // [B,H]; read only when HasH0 = 1
    public ArrayView<float> Y, HT;                                  // [B,T,H], [B,H]
    public ArrayView<float> States;                                 // [B,T+1,H] tape: h before step 0 and after each step
    public ArrayView<float> InputNormalized, RecurrentNormalized;   // [B,T,3H] tape: p̂, q̂
    public ArrayView<float> InverseStd;                             // [B,T,4] tape: 1/σ of the four norms
    public ArrayView<float> Vectors;                                // [B,2,H] thread-schedule scratch
}

/// <summary>
/// The forward recurrence of docs/gru.md §2, a whole batch of sequences in one launch. Per step:
/// p = W_x x_t (precomputed), q = W_h h; the gate rows [r; u] (2H) of p and of q are each layer-normalised as one
/// vector, the candidate rows (H) of each on their own; r, u = σ(LN(p) + LN(q)), n = tanh(LN(p_n) + r ⊙ LN(q_n)),
/// h = u ⊙ h + (1 − u) ⊙ n. The math is written once in <see cref="Run{TSchedule, TLayout}"/>; the two kernels only
/// decide where the h vectors live and who owns which units.
/// </summary>
/// <remarks>
/// Ownership is by hidden unit j: a thread computes the three rows j, H+j, 2H+j of unit j, so the gates and the
/// update need no exchange. Only h is read whole (by W_h h), fenced by one barrier per step, and the eight
/// layer-norm statistics are sequence-wide sums (<see cref="ISweepSchedule.Sum"/>; eight is even, so the alternating
/// reduction slots start on slot 0 at every step).
/// </remarks>
internal static class GruForwardSweep
{
    /// <summary>How a layer loads <see cref="ThreadKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, GruForwardSweepArgs>> ThreadEntry = AutoGrouped<GruForwardSweepArgs>(ThreadKernel);
    /// <summary>How a layer loads <see cref="GroupKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, GruForwardSweepArgs>> GroupEntry = Grouped<GruForwardSweepArgs>(GroupKernel);
    public static void ThreadKernel(Index1D index, GruForwardSweepArgs a)
    {
        int h = a.Hidden;
        var vectors = SweepScratch.Thread(a.Vectors, index, 2 * h);
        Run(new ThreadSchedule(), new RowMajor(), a.WH, a, index, vectors.SubView(0, h), vectors.SubView(h, h));
    }

    public static void GroupKernel(GruForwardSweepArgs a)
    {
        int h = a.Hidden;
        var shared = SharedMemory.GetDynamic<float>();
        var vectors = SweepScratch.GroupVectors(shared, 2 * h);
        // Lanes own consecutive rows r and walk l together: the column-major copy puts them on consecutive addresses.
        Run(SweepScratch.GroupOver(shared, matricesInGlobal: false), new ColumnMajor(), a.WHColumns, a, Grid.IdxX,
            vectors.SubView(0, h), vectors.SubView(h, h));
    }

    /// <summary>Shared-memory floats the group kernel needs (the reverse kernel needs the same).</summary>
    public static int GroupSharedFloats(int hidden, int groupSize) => 2 * groupSize + 2 * hidden;

    /// <summary>The sweep; <paramref name="wh"/> is W_h [3H,H] in <paramref name="layout"/>.</summary>
    private static void Run<TSchedule, TLayout>(TSchedule schedule, TLayout layout, ArrayView<float> wh, GruForwardSweepArgs a, int q,
        ArrayView<float> hCur, ArrayView<float> hNext)
        where TSchedule : struct, ISweepSchedule
        where TLayout : struct, IMatrixLayout
    {
        int H = a.Hidden, T = a.Time, G3 = 3 * H, H2 = 2 * H;
        int first = schedule.First, stride = schedule.Stride;
        long stateBase = (long)q * (T + 1) * H;

        // State in. h0 and hT may alias: each element is read here before its owner writes it at the end.
        for (int j = first; j < H; j += stride)
        {
            float hj = a.HasH0 != 0 ? a.H0[(long)q * H + j] : 0f;
            hCur[j] = hj;
            a.States[stateBase + j] = hj;
        }
        schedule.Barrier();

        for (int t = 0; t < T; t++)
        {
            long rowBase = ((long)q * T + t) * G3;
            var p = a.Projection.SubView(rowBase, G3);
            var pHat = a.InputNormalized.SubView(rowBase, G3);
            var qHat = a.RecurrentNormalized.SubView(rowBase, G3);   // holds q, then q̂ in place
            for (int j = first; j < H; j += stride)
                for (int k = 0; k < 3; k++)
                {
                    int r = k * H + j;
                    float acc = 0f;
                    for (int l = 0; l < H; l++)
                        acc += wh[layout.Index(r, l, G3, H)] * hCur[l];
                    qHat[r] = acc;
                }

            // Means, then biased variances, of the four norms: gates of p (2H), gates of q (2H), candidate of p, of q (H).
            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
            for (int j = first; j < H; j += stride)
            {
                s0 += p[j] + p[H + j]; s1 += qHat[j] + qHat[H + j];
                s2 += p[H2 + j]; s3 += qHat[H2 + j];
            }
            float m0 = schedule.Sum(s0, 0) / H2, m1 = schedule.Sum(s1, 1) / H2, m2 = schedule.Sum(s2, 0) / H, m3 = schedule.Sum(s3, 1) / H;
            s0 = 0f; s1 = 0f; s2 = 0f; s3 = 0f;
            for (int j = first; j < H; j += stride)
            {
                float d0 = p[j] - m0, e0 = p[H + j] - m0, d1 = qHat[j] - m1, e1 = qHat[H + j] - m1;
                float d2 = p[H2 + j] - m2, d3 = qHat[H2 + j] - m3;
                s0 += d0 * d0 + e0 * e0; s1 += d1 * d1 + e1 * e1; s2 += d2 * d2; s3 += d3 * d3;
            }
            float i0 = InverseStd(schedule.Sum(s0, 0) / H2, a.LnEps), i1 = InverseStd(schedule.Sum(s1, 1) / H2, a.LnEps);
            float i2 = InverseStd(schedule.Sum(s2, 0) / H, a.LnEps), i3 = InverseStd(schedule.Sum(s3, 1) / H, a.LnEps);
            long statBase = ((long)q * T + t) * 4;
            if (first == 0)
            {
                a.InverseStd[statBase] = i0; a.InverseStd[statBase + 1] = i1;
                a.InverseStd[statBase + 2] = i2; a.InverseStd[statBase + 3] = i3;
            }

            long outBase = ((long)q * T + t) * H, nextState = stateBase + (long)(t + 1) * H;
            for (int j = first; j < H; j += stride)
            {
                pHat[j] = (p[j] - m0) * i0; pHat[H + j] = (p[H + j] - m0) * i0; pHat[H2 + j] = (p[H2 + j] - m2) * i2;
                qHat[j] = (qHat[j] - m1) * i1; qHat[H + j] = (qHat[H + j] - m1) * i1; qHat[H2 + j] = (qHat[H2 + j] - m3) * i3;
                float reset = Gate(a.InputLnGain, a.InputLnBias, a.RecurrentLnGain, a.RecurrentLnBias, pHat, qHat, j);
                float update = Gate(a.InputLnGain, a.InputLnBias, a.RecurrentLnGain, a.RecurrentLnBias, pHat, qHat, H + j);
                float candidate = XMath.Tanh(Affine(a.InputLnGain, a.InputLnBias, pHat, H2 + j)
                    + reset * Affine(a.RecurrentLnGain, a.RecurrentLnBias, qHat, H2 + j));
                float hj = update * hCur[j] + (1f - update) * candidate;
                hNext[j] = hj;
                a.Y[outBase + j] = hj;
                a.States[nextState + j] = hj;
            }
            // The next step's W_h h reads every unit of hNext. The buffer read by this step's W_h h is written again
            // only at the end of the next step, after this barrier and the next step's sums.
            schedule.Barrier();
            var swap = hCur; hCur = hNext; hNext = swap;
        }

        for (int j = first; j < H; j += stride)
            a.HT[(long)q * H + j] = hCur[j];
    }

    private static float InverseStd(float variance, float eps) => 1f / XMath.Sqrt(variance + eps);

    /// <summary>γ[r] v̂[r] + β[r].</summary>
    internal static float Affine(ArrayView<float> gain, ArrayView<float> bias, ArrayView<float> normalized, int r) =>
        gain[r] * normalized[r] + bias[r];

    /// <summary>σ(γ_x p̂ + β_x + γ_h q̂ + β_h) of gate row r.</summary>
    internal static float Gate(ArrayView<float> inputGain, ArrayView<float> inputBias, ArrayView<float> recurrentGain,
        ArrayView<float> recurrentBias, ArrayView<float> pHat, ArrayView<float> qHat, int r) =>
        GateMath.Sigmoid(Affine(inputGain, inputBias, pHat, r) + Affine(recurrentGain, recurrentBias, qHat, r));
}
