using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Lstm;
using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.HyperLstm;

/// <summary>Everything the HyperLSTM forward sweep reads and writes, passed by value to the kernel.</summary>
internal struct HyperLstmForwardSweepArgs
{
    public int Batch, Time, Hidden, HyperHidden, Embedding;
    public int HasH0, HasC0, HasHyperH0, HasHyperC0;
    public float LnEps;

    public ArrayView<float> MainProjection, HyperProjection;                    // [B,T,4H] W_x x; [B,T,4N] Ŵ_x x + b̂
    public ArrayView<float> WH, B, LnGain, LnBias, CellLnGain, CellLnBias;      // main weights
    public ArrayView<float> HyperWH, HyperWHMain, HyperLnGain, HyperLnBias, HyperCellLnGain, HyperCellLnBias;
    public ArrayView<float> WZ, BZ, WD;                                         // [12Z,N], [8Z], [12H,Z]
    public HyperLstmSweepWeights Columns;                                       // group kernel only: column-major copies
    public ArrayView<float> H0, C0, HyperH0, HyperC0;                           // read only when Has* = 1
    public ArrayView<float> Y, HT, CT, HyperHT, HyperCT;
    public ArrayView<float> States, CellStates, Normalized, InverseStd, CellNormalized, CellInverseStd;   // main tape
    public ArrayView<float> Recurrent, Scalings;                                // [B,T,4H] u, [B,T,12H] d
    public ArrayView<float> HyperStates, HyperCellStates, HyperNormalized, HyperInverseStd, HyperCellNormalized, HyperCellInverseStd;
    public ArrayView<float> Embeddings;                                         // [B,T,12Z] z
    public ArrayView<float> Vectors;                                            // [B,2H+2N] thread-schedule scratch
}

/// <summary>The five matrices the HyperLSTM forward multiplies by every step, in the layout the sweep reads them in.</summary>
internal struct HyperLstmSweepWeights
{
    public ArrayView<float> HyperWH, HyperWHMain, WZ, WH, WD;   // [4N,N], [4N,H], [12Z,N], [4H,H], [12H,Z]
}

/// <summary>
/// The HyperLSTM forward of docs/lstm.md §8, a whole batch of sequences in one launch. Per step: the hyper cell on
/// [h_{t−1}, x_t] with its own state; z = W_z ĥ_t + [b_z; 0]; d = W_d z (block by block); the main pre-activation
/// a = d_h ⊙ W_h h_{t−1} + d_x ⊙ W_x x_t + d_b + b; then both cells update through <see cref="LnLstmCell.Forward"/>.
/// </summary>
/// <remarks>
/// Ownership: hyper units by the hyper cell, main units (and their rows of u, d and the gate vectors) by the main cell,
/// z rows m = First, First + Stride, … &lt; 12N_z. Barriers: after ĥ_t is written (z reads it whole), after z is
/// written (d reads whole blocks of it), after h_t is written (the next step reads it whole).
/// </remarks>
internal static class HyperLstmForwardSweep
{
    /// <summary>How a layer loads <see cref="ThreadKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, HyperLstmForwardSweepArgs>> ThreadEntry = AutoGrouped<HyperLstmForwardSweepArgs>(ThreadKernel);
    /// <summary>How a layer loads <see cref="GroupKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, HyperLstmForwardSweepArgs>> GroupEntry = Grouped<HyperLstmForwardSweepArgs>(GroupKernel);
    public static void ThreadKernel(Index1D index, HyperLstmForwardSweepArgs a)
    {
        int sequence = index;
        int h = a.Hidden, n = a.HyperHidden;
        var v = a.Vectors.SubView((long)sequence * (2 * h + 2 * n), 2 * h + 2 * n);
        var weights = new HyperLstmSweepWeights { HyperWH = a.HyperWH, HyperWHMain = a.HyperWHMain, WZ = a.WZ, WH = a.WH, WD = a.WD };
        Run(new ThreadSchedule(), new RowMajor(), weights, a, sequence, v.SubView(0, h), v.SubView(h, h), v.SubView(2 * h, n), v.SubView(2 * h + n, n));
    }

    public static void GroupKernel(HyperLstmForwardSweepArgs a)
    {
        int sequence = Grid.IdxX;
        int groupSize = Group.DimX;
        int h = a.Hidden, n = a.HyperHidden;
        var shared = SharedMemory.GetDynamic<float>();
        var partials = shared.SubView(0, 2 * groupSize);
        int o = 2 * groupSize;
        // Lanes own consecutive rows and walk the columns together: the column-major copies put them on consecutive addresses.
        Run(new GroupSchedule(partials, Group.IdxX, groupSize, matricesInGlobal: false), new ColumnMajor(), a.Columns, a, sequence,
            shared.SubView(o, h), shared.SubView(o + h, h), shared.SubView(o + 2 * h, n), shared.SubView(o + 2 * h + n, n));
    }

    /// <summary>Shared-memory floats either group kernel needs.</summary>
    public static int GroupSharedFloats(int hidden, int hyperHidden, int groupSize) => 2 * groupSize + 2 * hidden + 2 * hyperHidden;

    /// <summary>The sweep; the five matrices it multiplies by every step are read from <paramref name="w"/> in <paramref name="layout"/>.</summary>
    private static void Run<TSchedule, TLayout>(TSchedule schedule, TLayout layout, HyperLstmSweepWeights w, HyperLstmForwardSweepArgs a, int q,
        ArrayView<float> hCur, ArrayView<float> hNext, ArrayView<float> hyperCur, ArrayView<float> hyperNext)
        where TSchedule : struct, ISweepSchedule
        where TLayout : struct, IMatrixLayout
    {
        int H = a.Hidden, N = a.HyperHidden, Z = a.Embedding, T = a.Time;
        int first = schedule.First, stride = schedule.Stride;
        long stateBase = (long)q * (T + 1) * H, hyperBase = (long)q * (T + 1) * N;

        // State in; the state outputs may alias the inputs (each element is read here before its owner writes it at the end).
        for (int j = first; j < H; j += stride)
        {
            float hj = a.HasH0 != 0 ? a.H0[(long)q * H + j] : 0f;
            hCur[j] = hj;
            a.States[stateBase + j] = hj;
            a.CellStates[stateBase + j] = a.HasC0 != 0 ? a.C0[(long)q * H + j] : 0f;
        }
        for (int j = first; j < N; j += stride)
        {
            float hj = a.HasHyperH0 != 0 ? a.HyperH0[(long)q * N + j] : 0f;
            hyperCur[j] = hj;
            a.HyperStates[hyperBase + j] = hj;
            a.HyperCellStates[hyperBase + j] = a.HasHyperC0 != 0 ? a.HyperC0[(long)q * N + j] : 0f;
        }
        schedule.Barrier();

        for (int t = 0; t < T; t++)
        {
            long step = (long)q * T + t;

            // Hyper cell: â' from Ŵ_h ĥ + Ŵ_hm h + (Ŵ_x x + b̂).
            var hyperPre = a.HyperNormalized.SubView(step * 4 * N, 4 * N);
            for (int j = first; j < N; j += stride)
                for (int k = 0; k < 4; k++)
                {
                    int r = k * N + j;
                    float acc = a.HyperProjection[step * 4 * N + r];
                    for (int l = 0; l < N; l++)
                        acc += w.HyperWH[layout.Index(r, l, 4 * N, N)] * hyperCur[l];
                    for (int l = 0; l < H; l++)
                        acc += w.HyperWHMain[layout.Index(r, l, 4 * N, H)] * hCur[l];
                    hyperPre[r] = acc;
                }
            LnLstmCell.Forward(schedule, N, a.LnEps, hyperPre, a.HyperInverseStd.SubView(step * 4, 4),
                a.HyperLnGain, a.HyperLnBias, a.HyperCellLnGain, a.HyperCellLnBias,
                a.HyperCellStates.SubView(hyperBase + (long)t * N, N), a.HyperCellStates.SubView(hyperBase + (long)(t + 1) * N, N),
                a.HyperCellNormalized.SubView(step * N, N), a.HyperCellInverseStd.SubView(step, 1), hyperNext);
            for (int j = first; j < N; j += stride)
                a.HyperStates[hyperBase + (long)(t + 1) * N + j] = hyperNext[j];
            schedule.Barrier();

            // z = W_z ĥ_t + [b_z; 0].
            var z = a.Embeddings.SubView(step * 12 * Z, 12 * Z);
            for (int m = first; m < 12 * Z; m += stride)
            {
                float acc = m < 8 * Z ? a.BZ[m] : 0f;
                for (int l = 0; l < N; l++)
                    acc += w.WZ[layout.Index(m, l, 12 * Z, N)] * hyperNext[l];
                z[m] = acc;
            }
            schedule.Barrier();

            // Main pre-activation a = d_h ⊙ u + d_x ⊙ v + d_b + b, u = W_h h, v = W_x x, d[τ,k,j] = W_d[(τ,k,j)] · z[τ,k].
            var pre = a.Normalized.SubView(step * 4 * H, 4 * H);
            for (int j = first; j < H; j += stride)
                for (int k = 0; k < 4; k++)
                {
                    int r = k * H + j;
                    float u = 0f;
                    for (int l = 0; l < H; l++)
                        u += w.WH[layout.Index(r, l, 4 * H, H)] * hCur[l];
                    a.Recurrent[step * 4 * H + r] = u;
                    float dh = Scaling(layout, w.WD, z, 0, k, r, H, Z), dx = Scaling(layout, w.WD, z, 1, k, r, H, Z);
                    float db = Scaling(layout, w.WD, z, 2, k, r, H, Z);
                    a.Scalings[step * 12 * H + r] = dh;
                    a.Scalings[step * 12 * H + 4 * H + r] = dx;
                    a.Scalings[step * 12 * H + 8 * H + r] = db;
                    pre[r] = dh * u + dx * a.MainProjection[step * 4 * H + r] + db + a.B[r];
                }
            long cellBase = step * H;
            LnLstmCell.Forward(schedule, H, a.LnEps, pre, a.InverseStd.SubView(step * 4, 4),
                a.LnGain, a.LnBias, a.CellLnGain, a.CellLnBias,
                a.CellStates.SubView(stateBase + (long)t * H, H), a.CellStates.SubView(stateBase + (long)(t + 1) * H, H),
                a.CellNormalized.SubView(cellBase, H), a.CellInverseStd.SubView(step, 1), hNext);
            for (int j = first; j < H; j += stride)
            {
                a.Y[cellBase + j] = hNext[j];
                a.States[stateBase + (long)(t + 1) * H + j] = hNext[j];
            }
            // The next step reads h_t and ĥ_t whole. The buffers read in this step are written again only late in the
            // next step, after this barrier and several more.
            schedule.Barrier();
            var swap = hCur; hCur = hNext; hNext = swap;
            swap = hyperCur; hyperCur = hyperNext; hyperNext = swap;
        }

        for (int j = first; j < H; j += stride)
        {
            a.HT[(long)q * H + j] = hCur[j];
            a.CT[(long)q * H + j] = a.CellStates[stateBase + (long)T * H + j];
        }
        for (int j = first; j < N; j += stride)
        {
            a.HyperHT[(long)q * N + j] = hyperCur[j];
            a.HyperCT[(long)q * N + j] = a.HyperCellStates[hyperBase + (long)T * N + j];
        }
    }

    /// <summary>d[τ,k,j] = Σ_m W_d[(τ·4H + r), m] z[(τ·4 + k)·N_z + m] with r = kH + j.</summary>
    private static float Scaling<TLayout>(TLayout layout, ArrayView<float> wd, ArrayView<float> z, int type, int k, int r, int H, int Z)
        where TLayout : struct, IMatrixLayout
    {
        int row = type * 4 * H + r;
        int block = (type * 4 + k) * Z;
        float acc = 0f;
        for (int m = 0; m < Z; m++)
            acc += wd[layout.Index(row, m, 12 * H, Z)] * z[block + m];
        return acc;
    }
}
