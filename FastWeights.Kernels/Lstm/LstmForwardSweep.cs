using FastWeights.Kernels.FastWeightRnn;
using ILGPU;
using ILGPU.Runtime;

namespace FastWeights.Kernels.Lstm;

/// <summary>Everything the LSTM forward sweep reads and writes, passed by value to the kernel.</summary>
internal struct LstmForwardSweepArgs
{
    public int Batch, Time, Hidden, HasH0, HasC0;
    public float LnEps;

    public ArrayView<float> Projection;                         // [B,T,4H] W_x x_t + b
    public ArrayView<float> WH, LnGain, LnBias;                 // [4H,H], [4H], [4H]
    public ArrayView<float> CellLnGain, CellLnBias;             // [H], [H]
    public ArrayView<float> H0, C0;                             // [B,H]; read only when Has* = 1
    public ArrayView<float> Y, HT, CT;                          // [B,T,H], [B,H], [B,H]
    public ArrayView<float> States, CellStates;                 // [B,T+1,H] tape: h and c before step 0 and after each step
    public ArrayView<float> Normalized, InverseStd;             // [B,T,4H], [B,T,4] tape: gate â and 1/σ
    public ArrayView<float> CellNormalized, CellInverseStd;     // [B,T,H], [B,T] tape: ĉ and 1/σ_c
    public ArrayView<float> Vectors;                            // [B,2,H] thread-schedule scratch
}

/// <summary>
/// The forward recurrence of docs/lstm.md §2, a whole batch of sequences in one launch. Per step:
/// a = W_h h + (W_x x_t + b); per gate k, n_k = γ_k ⊙ LN(a_k) + β_k; i, f, o = σ(n), g = tanh(n);
/// c = f ⊙ c + i ⊙ g; h = o ⊙ tanh(γ_c ⊙ LN(c) + β_c). The math is written once in <see cref="Run{TSchedule}"/>;
/// the two kernels only decide where the h vectors live and who owns which units.
/// </summary>
/// <remarks>
/// Ownership is by hidden unit j: a thread computes the four gate rows j, H+j, 2H+j, 3H+j of unit j, so the
/// cell update needs no exchange; c_j is only ever read by its owner. Only h is read whole (by W_h h), fenced by
/// one barrier per step, and the ten layer-norm statistics are sequence-wide sums (<see cref="ISweepSchedule.Sum"/>).
/// </remarks>
internal static class LstmForwardSweep
{
    public static void ThreadKernel(Index1D index, LstmForwardSweepArgs a)
    {
        int sequence = index;
        int h = a.Hidden;
        var vectors = a.Vectors.SubView((long)sequence * 2 * h, 2 * h);
        Run(new ThreadSchedule(), a, sequence, vectors.SubView(0, h), vectors.SubView(h, h));
    }

    public static void GroupKernel(LstmForwardSweepArgs a)
    {
        int sequence = Grid.IdxX;
        int groupSize = Group.DimX;
        int h = a.Hidden;
        var shared = SharedMemory.GetDynamic<float>();
        var partials = shared.SubView(0, 2 * groupSize);
        int offset = 2 * groupSize;
        Run(new GroupSchedule(partials, Group.IdxX, groupSize), a, sequence, shared.SubView(offset, h), shared.SubView(offset + h, h));
    }

    /// <summary>Shared-memory floats the group kernel needs (the reverse kernel needs the same).</summary>
    public static int GroupSharedFloats(int hidden, int groupSize) => 2 * groupSize + 2 * hidden;

    private static void Run<TSchedule>(TSchedule schedule, LstmForwardSweepArgs a, int q, ArrayView<float> hCur, ArrayView<float> hNext)
        where TSchedule : struct, ISweepSchedule
    {
        int H = a.Hidden, T = a.Time, G4 = 4 * H;
        int first = schedule.First, stride = schedule.Stride;
        long stateBase = (long)q * (T + 1) * H;

        // State in. h0/hT and c0/cT may alias: each element is read here before its owner writes it at the end.
        for (int j = first; j < H; j += stride)
        {
            float hj = a.HasH0 != 0 ? a.H0[(long)q * H + j] : 0f;
            hCur[j] = hj;
            a.States[stateBase + j] = hj;
            a.CellStates[stateBase + j] = a.HasC0 != 0 ? a.C0[(long)q * H + j] : 0f;
        }
        schedule.Barrier();

        for (int t = 0; t < T; t++)
        {
            long gateBase = ((long)q * T + t) * G4;
            var pre = a.Normalized.SubView(gateBase, G4);   // holds a, then â in place
            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
            for (int j = first; j < H; j += stride)
            {
                for (int k = 0; k < 4; k++)
                {
                    int r = k * H + j;
                    float acc = a.Projection[gateBase + r];
                    for (int l = 0; l < H; l++)
                        acc += a.WH[(long)r * H + l] * hCur[l];
                    pre[r] = acc;
                }
                s0 += pre[j]; s1 += pre[H + j]; s2 += pre[2 * H + j]; s3 += pre[3 * H + j];
            }
            // Ten sums per step on alternating slots 0, 1, 0, 1, … (an even count, so every step starts on slot 0).
            float m0 = schedule.Sum(s0, 0) / H, m1 = schedule.Sum(s1, 1) / H;
            float m2 = schedule.Sum(s2, 0) / H, m3 = schedule.Sum(s3, 1) / H;
            s0 = 0f; s1 = 0f; s2 = 0f; s3 = 0f;
            for (int j = first; j < H; j += stride)
            {
                float d0 = pre[j] - m0, d1 = pre[H + j] - m1, d2 = pre[2 * H + j] - m2, d3 = pre[3 * H + j] - m3;
                s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
            }
            float r0 = InverseStd(schedule.Sum(s0, 0) / H, a.LnEps), r1 = InverseStd(schedule.Sum(s1, 1) / H, a.LnEps);
            float r2 = InverseStd(schedule.Sum(s2, 0) / H, a.LnEps), r3 = InverseStd(schedule.Sum(s3, 1) / H, a.LnEps);
            long statBase = ((long)q * T + t) * 4;
            if (first == 0)
            {
                a.InverseStd[statBase] = r0; a.InverseStd[statBase + 1] = r1;
                a.InverseStd[statBase + 2] = r2; a.InverseStd[statBase + 3] = r3;
            }

            // Gates, then the cell: c = f ⊙ c + i ⊙ g (own units only).
            long prevState = stateBase + (long)t * H, nextState = prevState + H;
            float cellSum = 0f;
            for (int j = first; j < H; j += stride)
            {
                float gi = Gate(a, pre, 0, j, H, m0, r0), gf = Gate(a, pre, 1, j, H, m1, r1);
                float gg = Gate(a, pre, 2, j, H, m2, r2);
                Gate(a, pre, 3, j, H, m3, r3);
                float c = gf * a.CellStates[prevState + j] + gi * gg;
                a.CellStates[nextState + j] = c;
                cellSum += c;
            }
            float cellMean = schedule.Sum(cellSum, 0) / H;
            float cellVar = 0f;
            for (int j = first; j < H; j += stride)
            {
                float d = a.CellStates[nextState + j] - cellMean;
                cellVar += d * d;
            }
            float cellInverseStd = InverseStd(schedule.Sum(cellVar, 1) / H, a.LnEps);
            long cellBase = ((long)q * T + t) * H;
            if (first == 0)
                a.CellInverseStd[(long)q * T + t] = cellInverseStd;

            // h = o ⊙ tanh(γ_c ĉ + β_c).
            for (int j = first; j < H; j += stride)
            {
                float chat = (a.CellStates[nextState + j] - cellMean) * cellInverseStd;
                a.CellNormalized[cellBase + j] = chat;
                float o = GateMath.Sigmoid(a.LnGain[3 * H + j] * pre[3 * H + j] + a.LnBias[3 * H + j]);
                float hj = o * ILGPU.Algorithms.XMath.Tanh(a.CellLnGain[j] * chat + a.CellLnBias[j]);
                hNext[j] = hj;
                a.Y[cellBase + j] = hj;
                a.States[nextState + j] = hj;
            }
            // The next step's W_h h reads every unit of hNext. The buffer read by this step's W_h h is written again
            // only at the end of the next step, after this barrier and the next step's sums.
            schedule.Barrier();
            var swap = hCur; hCur = hNext; hNext = swap;
        }

        long last = stateBase + (long)T * H;
        for (int j = first; j < H; j += stride)
        {
            a.HT[(long)q * H + j] = hCur[j];
            a.CT[(long)q * H + j] = a.CellStates[last + j];
        }
    }

    /// <summary>Normalises row kH+j of <paramref name="pre"/> in place (a → â) and returns the gate's output.</summary>
    private static float Gate(LstmForwardSweepArgs a, ArrayView<float> pre, int k, int j, int H, float mean, float inverseStd)
    {
        int r = k * H + j;
        float normalized = (pre[r] - mean) * inverseStd;
        pre[r] = normalized;
        return GateMath.Apply(k, a.LnGain[r] * normalized + a.LnBias[r]);
    }

    internal static float InverseStd(float variance, float eps) => 1f / ILGPU.Algorithms.XMath.Sqrt(variance + eps);
}
