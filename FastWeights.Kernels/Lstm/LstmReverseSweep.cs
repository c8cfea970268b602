using FastWeights.Kernels.FastWeightRnn;
using ILGPU;
using ILGPU.Runtime;

namespace FastWeights.Kernels.Lstm;

/// <summary>Everything the LSTM reverse sweep reads and writes: the forward's tape plus gradients.</summary>
internal struct LstmReverseSweepArgs
{
    public int Batch, Time, Hidden, HasDhT, HasDcT, HasDh0, HasDc0;

    public ArrayView<float> WH, LnGain, LnBias, CellLnGain, CellLnBias;   // [4H,H], [4H], [4H], [H], [H]
    public ArrayView<float> Dy, DhT, DcT;                               // [B,T,H], [B,H], [B,H]
    public ArrayView<float> CellStates, Normalized, InverseStd;         // the forward's tape
    public ArrayView<float> CellNormalized, CellInverseStd;
    public ArrayView<float> Da;                                         // [B,T,4H] out: dL/da (gate pre-activations) per step
    public ArrayView<float> Vectors;                                    // [B,2,H] thread-schedule scratch
    public ArrayView<float> LayerNormGrad;                              // [B,2,4H] out: per-sequence Σ dn ⊙ â and Σ dn
    public ArrayView<float> CellLayerNormGrad;                          // [B,2,H] out: per-sequence Σ dm ⊙ ĉ and Σ dm
    public ArrayView<float> DH0, DC0;                                   // [B,H] out, written when Has* = 1
}

/// <summary>
/// The reverse sweep of docs/lstm.md §3: walks t = T−1 … 0 carrying dh and dc, recomputes the gate outputs
/// and tanh of the normalised cell from the stored â and ĉ, and writes da per step (the weight gradients are formed
/// afterwards by deterministic batched reductions), the per-sequence layer-norm partials, dh0 and dc0.
/// </summary>
/// <remarks>
/// Ownership by hidden unit as in the forward: dh_j, dc_j and the rows kH+j of da belong to one thread. The only
/// cross-unit reads are the ten layer-norm sums and W_hᵀ da (all 4H rows of da), fenced by one barrier.
/// </remarks>
internal static class LstmReverseSweep
{
    public static void ThreadKernel(Index1D index, LstmReverseSweepArgs a)
    {
        int sequence = index;
        int h = a.Hidden;
        var vectors = a.Vectors.SubView((long)sequence * 2 * h, 2 * h);
        Run(new ThreadSchedule(), a, sequence, vectors.SubView(0, h), vectors.SubView(h, h));
    }

    public static void GroupKernel(LstmReverseSweepArgs a)
    {
        int sequence = Grid.IdxX;
        int groupSize = Group.DimX;
        int h = a.Hidden;
        var shared = SharedMemory.GetDynamic<float>();
        var partials = shared.SubView(0, 2 * groupSize);
        int offset = 2 * groupSize;
        Run(new GroupSchedule(partials, Group.IdxX, groupSize), a, sequence, shared.SubView(offset, h), shared.SubView(offset + h, h));
    }

    private static void Run<TSchedule>(TSchedule schedule, LstmReverseSweepArgs a, int q, ArrayView<float> dh, ArrayView<float> dc)
        where TSchedule : struct, ISweepSchedule
    {
        int H = a.Hidden, T = a.Time, G4 = 4 * H;
        int first = schedule.First, stride = schedule.Stride;
        long stateBase = (long)q * (T + 1) * H;
        var dGain = a.LayerNormGrad.SubView((long)q * 2 * G4, G4);
        var dBias = a.LayerNormGrad.SubView((long)q * 2 * G4 + G4, G4);
        var dCellGain = a.CellLayerNormGrad.SubView((long)q * 2 * H, H);
        var dCellBias = a.CellLayerNormGrad.SubView((long)q * 2 * H + H, H);

        for (int j = first; j < H; j += stride)
        {
            dh[j] = a.HasDhT != 0 ? a.DhT[(long)q * H + j] : 0f;
            dc[j] = a.HasDcT != 0 ? a.DcT[(long)q * H + j] : 0f;
            dCellGain[j] = 0f;
            dCellBias[j] = 0f;
            for (int k = 0; k < 4; k++)
            {
                dGain[k * H + j] = 0f;
                dBias[k * H + j] = 0f;
            }
        }

        for (int t = T - 1; t >= 0; t--)
        {
            long cellBase = ((long)q * T + t) * H, gateBase = ((long)q * T + t) * G4, statBase = ((long)q * T + t) * 4;
            var chat = a.CellNormalized.SubView(cellBase, H);
            var ahat = a.Normalized.SubView(gateBase, G4);
            var da = a.Da.SubView(gateBase, G4);

            // h = o ⊙ τ, τ = tanh(m), m = γ_c ĉ + β_c: dm = dh ⊙ o ⊙ (1 − τ²); then the cell layer norm.
            float p1 = 0f, p2 = 0f;
            for (int j = first; j < H; j += stride)
            {
                float dhj = dh[j] + a.Dy[cellBase + j];
                dh[j] = dhj;
                float dm = CellOutputGradient(a, ahat, chat, j, H, dhj);
                dCellGain[j] += dm * chat[j];
                dCellBias[j] += dm;
                float dchat = dm * a.CellLnGain[j];
                p1 += dchat;
                p2 += dchat * chat[j];
            }
            // Ten sums per step on slots 0, 1, 0, 1, … (an even count: every step starts on slot 0).
            float cellMean1 = schedule.Sum(p1, 0) / H, cellMean2 = schedule.Sum(p2, 1) / H;
            float cellInverseStd = a.CellInverseStd[(long)q * T + t];

            // dc += LN backward; then c = f ⊙ c_prev + i ⊙ g gives the four gate gradients dn and the carried dc.
            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, x0 = 0f, x1 = 0f, x2 = 0f, x3 = 0f;
            long prevState = stateBase + (long)t * H;
            for (int j = first; j < H; j += stride)
            {
                float dhj = dh[j];
                float dchat = CellOutputGradient(a, ahat, chat, j, H, dhj) * a.CellLnGain[j];
                float dcj = dc[j] + cellInverseStd * (dchat - cellMean1 - chat[j] * cellMean2);
                float gi = Output(a, ahat, 0, j, H), gf = Output(a, ahat, 1, j, H), gg = Output(a, ahat, 2, j, H), go = Output(a, ahat, 3, j, H);
                float tau = ILGPU.Algorithms.XMath.Tanh(a.CellLnGain[j] * chat[j] + a.CellLnBias[j]);
                float dn0 = dcj * gg * GateMath.DerivativeFromOutput(0, gi);
                float dn1 = dcj * a.CellStates[prevState + j] * GateMath.DerivativeFromOutput(1, gf);
                float dn2 = dcj * gi * GateMath.DerivativeFromOutput(2, gg);
                float dn3 = dhj * tau * GateMath.DerivativeFromOutput(3, go);
                dc[j] = dcj * gf;
                // Gate layer norms: dγ += dn ⊙ â, dβ += dn, dâ = dn ⊙ γ (kept in da until the sums are known).
                float d0 = GateNormGradient(a, ahat, da, dGain, dBias, 0, j, H, dn0);
                float d1 = GateNormGradient(a, ahat, da, dGain, dBias, 1, j, H, dn1);
                float d2 = GateNormGradient(a, ahat, da, dGain, dBias, 2, j, H, dn2);
                float d3 = GateNormGradient(a, ahat, da, dGain, dBias, 3, j, H, dn3);
                s0 += d0; s1 += d1; s2 += d2; s3 += d3;
                x0 += d0 * ahat[j]; x1 += d1 * ahat[H + j]; x2 += d2 * ahat[2 * H + j]; x3 += d3 * ahat[3 * H + j];
            }
            float m0 = schedule.Sum(s0, 0) / H, m1 = schedule.Sum(s1, 1) / H, m2 = schedule.Sum(s2, 0) / H, m3 = schedule.Sum(s3, 1) / H;
            float n0 = schedule.Sum(x0, 0) / H, n1 = schedule.Sum(x1, 1) / H, n2 = schedule.Sum(x2, 0) / H, n3 = schedule.Sum(x3, 1) / H;

            // da = (1/σ)(dâ − mean(dâ) − â ⊙ mean(dâ ⊙ â)) per gate.
            for (int j = first; j < H; j += stride)
            {
                GateNormFinish(a, ahat, da, 0, j, H, a.InverseStd[statBase], m0, n0);
                GateNormFinish(a, ahat, da, 1, j, H, a.InverseStd[statBase + 1], m1, n1);
                GateNormFinish(a, ahat, da, 2, j, H, a.InverseStd[statBase + 2], m2, n2);
                GateNormFinish(a, ahat, da, 3, j, H, a.InverseStd[statBase + 3], m3, n3);
            }
            schedule.Barrier();

            // a = W_h h_prev + …: dh_prev = W_hᵀ da, reading all 4H rows of da.
            for (int j = first; j < H; j += stride)
            {
                float acc = 0f;
                for (int r = 0; r < G4; r++)
                    acc += a.WH[(long)r * H + j] * da[r];
                dh[j] = acc;
            }
            // The next step writes da of step t−1 (other memory) and reads only its own dh, dc: no barrier needed here.
        }

        for (int j = first; j < H; j += stride)
        {
            if (a.HasDh0 != 0) a.DH0[(long)q * H + j] = dh[j];
            if (a.HasDc0 != 0) a.DC0[(long)q * H + j] = dc[j];
        }
    }

    /// <summary>Gate k's output for unit j, recomputed from the stored â: act(γ â + β).</summary>
    private static float Output(LstmReverseSweepArgs a, ArrayView<float> ahat, int k, int j, int H)
    {
        int r = k * H + j;
        return GateMath.Apply(k, a.LnGain[r] * ahat[r] + a.LnBias[r]);
    }

    /// <summary>dm_j = dh_j · o_j · (1 − τ_j²), the gradient at the input of the output tanh.</summary>
    private static float CellOutputGradient(LstmReverseSweepArgs a, ArrayView<float> ahat, ArrayView<float> chat, int j, int H, float dhj)
    {
        float o = Output(a, ahat, 3, j, H);
        float tau = ILGPU.Algorithms.XMath.Tanh(a.CellLnGain[j] * chat[j] + a.CellLnBias[j]);
        return dhj * o * (1f - tau * tau);
    }

    /// <summary>Accumulates dγ, dβ of row kH+j, stores dâ = dn γ in da and returns it.</summary>
    private static float GateNormGradient(LstmReverseSweepArgs a, ArrayView<float> ahat, ArrayView<float> da,
        ArrayView<float> dGain, ArrayView<float> dBias, int k, int j, int H, float dn)
    {
        int r = k * H + j;
        dGain[r] += dn * ahat[r];
        dBias[r] += dn;
        float dahat = dn * a.LnGain[r];
        da[r] = dahat;
        return dahat;
    }

    private static void GateNormFinish(LstmReverseSweepArgs a, ArrayView<float> ahat, ArrayView<float> da, int k, int j, int H,
        float inverseStd, float mean1, float mean2)
    {
        int r = k * H + j;
        da[r] = inverseStd * (da[r] - mean1 - ahat[r] * mean2);
    }
}
