using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Primitives;
using ILGPU.Algorithms;

namespace FastWeights.Kernels.Gru;

/// <summary>Everything the GRU reverse sweep reads and writes: the forward's parameter set, extended by the gradients.</summary>
internal struct GruReverseSweepArgs
{
    // Read: the sizes, W_h, the norms' γ and β, the forward's tape (States, InputNormalized, RecurrentNormalized,
    // InverseStd) and the Vectors scratch. Not read: the forward's inputs and outputs.
    public GruForwardSweepArgs Forward;
    public int HasDhT, HasDh0;

    public ArrayView<float> Dy, DhT;                                 // [B,T,H], [B,H]
    public ArrayView<float> Dp, Dq;                                  // [B,T,3H] out: dL/dp, dL/dq per step
    public ArrayView<float> InputLayerNormGrad;                      // [B,2,3H] out: per-sequence Σ dn ⊙ p̂ and Σ dn
    public ArrayView<float> RecurrentLayerNormGrad;                  // [B,2,3H] out: per-sequence Σ dn ⊙ q̂ and Σ dn
    public ArrayView<float> DH0;                                     // [B,H] out, written when HasDh0 = 1
}

/// <summary>
/// The reverse sweep of docs/gru.md §3: walks t = T−1 … 0 carrying dh; recomputes r, u, n from the stored p̂, q̂
/// and h_{t−1}, writes dp and dq per step (the weight gradients are formed afterwards by deterministic batched
/// reductions), the per-sequence layer-norm partials and dh0.
/// </summary>
/// <remarks>
/// Ownership by hidden unit as in the forward: dh_j and the rows j, H+j, 2H+j of dp, dq belong to one thread. The
/// only cross-unit reads are the eight layer-norm sums and W_hᵀ dq (all 3H rows of dq), fenced by one barrier.
/// </remarks>
internal static class GruReverseSweep
{
    /// <summary>How a layer loads <see cref="ThreadKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, GruReverseSweepArgs>> ThreadEntry = AutoGrouped<GruReverseSweepArgs>(ThreadKernel);
    /// <summary>How a layer loads <see cref="GroupKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, GruReverseSweepArgs>> GroupEntry = Grouped<GruReverseSweepArgs>(GroupKernel);
    public static void ThreadKernel(Index1D index, GruReverseSweepArgs a)
    {
        int h = a.Forward.Hidden;
        Run(new ThreadSchedule(), a, index, SweepScratch.Thread(a.Forward.Vectors, index, 2 * h).SubView(0, h));
    }

    public static void GroupKernel(GruReverseSweepArgs a)
    {
        var shared = SharedMemory.GetDynamic<float>();
        Run(SweepScratch.GroupOver(shared, matricesInGlobal: false), a, Grid.IdxX, SweepScratch.GroupVectors(shared, a.Forward.Hidden));
    }

    private static void Run<TSchedule>(TSchedule schedule, GruReverseSweepArgs a, int q, ArrayView<float> dh)
        where TSchedule : struct, ISweepSchedule
    {
        int H = a.Forward.Hidden, T = a.Forward.Time, G3 = 3 * H, H2 = 2 * H;
        int first = schedule.First, stride = schedule.Stride;
        long stateBase = (long)q * (T + 1) * H;
        var dInputGain = a.InputLayerNormGrad.SubView((long)q * 2 * G3, G3);
        var dInputBias = a.InputLayerNormGrad.SubView((long)q * 2 * G3 + G3, G3);
        var dRecurrentGain = a.RecurrentLayerNormGrad.SubView((long)q * 2 * G3, G3);
        var dRecurrentBias = a.RecurrentLayerNormGrad.SubView((long)q * 2 * G3 + G3, G3);

        for (int j = first; j < H; j += stride)
        {
            dh[j] = a.HasDhT != 0 ? a.DhT[(long)q * H + j] : 0f;
            for (int k = 0; k < 3; k++)
            {
                int r = k * H + j;
                dInputGain[r] = 0f; dInputBias[r] = 0f; dRecurrentGain[r] = 0f; dRecurrentBias[r] = 0f;
            }
        }

        for (int t = T - 1; t >= 0; t--)
        {
            long rowBase = ((long)q * T + t) * G3, outBase = ((long)q * T + t) * H, statBase = ((long)q * T + t) * 4;
            var pHat = a.Forward.InputNormalized.SubView(rowBase, G3);
            var qHat = a.Forward.RecurrentNormalized.SubView(rowBase, G3);
            var dp = a.Dp.SubView(rowBase, G3);
            var dq = a.Dq.SubView(rowBase, G3);
            var hPrev = a.Forward.States.SubView(stateBase + (long)t * H, H);

            // h = u ⊙ h_prev + (1 − u) ⊙ n, n = tanh(n_x + r ⊙ n_h), r, u = σ(…): the gradients at the norms' outputs.
            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, x0 = 0f, x1 = 0f, x2 = 0f, x3 = 0f;
            for (int j = first; j < H; j += stride)
            {
                float dhj = dh[j] + a.Dy[outBase + j];
                float reset = GruForwardSweep.Gate(a.Forward.InputLnGain, a.Forward.InputLnBias, a.Forward.RecurrentLnGain, a.Forward.RecurrentLnBias, pHat, qHat, j);
                float update = GruForwardSweep.Gate(a.Forward.InputLnGain, a.Forward.InputLnBias, a.Forward.RecurrentLnGain, a.Forward.RecurrentLnBias, pHat, qHat, H + j);
                float nh = GruForwardSweep.Affine(a.Forward.RecurrentLnGain, a.Forward.RecurrentLnBias, qHat, H2 + j);
                float candidate = XMath.Tanh(GruForwardSweep.Affine(a.Forward.InputLnGain, a.Forward.InputLnBias, pHat, H2 + j) + reset * nh);
                float dUpdate = dhj * (hPrev[j] - candidate);
                float dPre = dhj * (1f - update) * (1f - candidate * candidate);
                float dReset = dPre * nh * reset * (1f - reset);
                float dUpdatePre = dUpdate * update * (1f - update);
                dh[j] = dhj * update;   // the direct path; W_hᵀ dq is added after the norms

                NormGradients(a, pHat, qHat, dp, dq, dInputGain, dInputBias, dRecurrentGain, dRecurrentBias, j, dReset, dReset);
                NormGradients(a, pHat, qHat, dp, dq, dInputGain, dInputBias, dRecurrentGain, dRecurrentBias, H + j, dUpdatePre, dUpdatePre);
                NormGradients(a, pHat, qHat, dp, dq, dInputGain, dInputBias, dRecurrentGain, dRecurrentBias, H2 + j, dPre, dPre * reset);
                s0 += dp[j] + dp[H + j]; x0 += dp[j] * pHat[j] + dp[H + j] * pHat[H + j];
                s1 += dq[j] + dq[H + j]; x1 += dq[j] * qHat[j] + dq[H + j] * qHat[H + j];
                s2 += dp[H2 + j]; x2 += dp[H2 + j] * pHat[H2 + j];
                s3 += dq[H2 + j]; x3 += dq[H2 + j] * qHat[H2 + j];
            }
            // Layer-norm backward of the four norms: dv = (1/σ)(dv̂ − mean dv̂ − v̂ ⊙ mean(dv̂ ⊙ v̂)), eight sums.
            float m0 = schedule.Sum(s0, 0) / H2, m1 = schedule.Sum(s1, 1) / H2, m2 = schedule.Sum(s2, 0) / H, m3 = schedule.Sum(s3, 1) / H;
            float n0 = schedule.Sum(x0, 0) / H2, n1 = schedule.Sum(x1, 1) / H2, n2 = schedule.Sum(x2, 0) / H, n3 = schedule.Sum(x3, 1) / H;
            float i0 = a.Forward.InverseStd[statBase], i1 = a.Forward.InverseStd[statBase + 1], i2 = a.Forward.InverseStd[statBase + 2], i3 = a.Forward.InverseStd[statBase + 3];
            for (int j = first; j < H; j += stride)
            {
                NormFinish(dp, pHat, j, i0, m0, n0); NormFinish(dp, pHat, H + j, i0, m0, n0); NormFinish(dp, pHat, H2 + j, i2, m2, n2);
                NormFinish(dq, qHat, j, i1, m1, n1); NormFinish(dq, qHat, H + j, i1, m1, n1); NormFinish(dq, qHat, H2 + j, i3, m3, n3);
            }
            schedule.Barrier();

            // q = W_h h_prev: dh_prev += W_hᵀ dq, reading all 3H rows of dq.
            for (int j = first; j < H; j += stride)
            {
                float acc = dh[j];
                for (int r = 0; r < G3; r++)
                    acc += a.Forward.WH[new RowMajor().Index(r, j, G3, H)] * dq[r];   // lanes over j: consecutive addresses
                dh[j] = acc;
            }
            // The next step writes dp, dq of step t−1 (other memory) and reads only its own dh: no barrier needed here.
        }

        if (a.HasDh0 != 0)
            for (int j = first; j < H; j += stride)
                a.DH0[(long)q * H + j] = dh[j];
    }

    /// <summary>Row r: accumulates dγ, dβ of both norms and stores dp̂ = dn_x γ_x, dq̂ = dn_h γ_h.</summary>
    private static void NormGradients(GruReverseSweepArgs a, ArrayView<float> pHat, ArrayView<float> qHat,
        ArrayView<float> dp, ArrayView<float> dq, ArrayView<float> dInputGain, ArrayView<float> dInputBias,
        ArrayView<float> dRecurrentGain, ArrayView<float> dRecurrentBias, int r, float dnInput, float dnRecurrent)
    {
        dInputGain[r] += dnInput * pHat[r];
        dInputBias[r] += dnInput;
        dp[r] = dnInput * a.Forward.InputLnGain[r];
        dRecurrentGain[r] += dnRecurrent * qHat[r];
        dRecurrentBias[r] += dnRecurrent;
        dq[r] = dnRecurrent * a.Forward.RecurrentLnGain[r];
    }

    private static void NormFinish(ArrayView<float> d, ArrayView<float> normalized, int r, float inverseStd, float mean1, float mean2) =>
        d[r] = inverseStd * (d[r] - mean1 - normalized[r] * mean2);
}
