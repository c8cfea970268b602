using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Lstm;
using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.HyperLstm;

/// <summary>Everything the HyperLSTM reverse sweep reads and writes: the forward's parameter set, extended by the gradients.</summary>
internal struct HyperLstmReverseSweepArgs
{
    // Read: the sizes, both cells' weights and norms, W_z, W_d, both tapes and the Vectors scratch. Read, then
    // overwritten with gradients: Recurrent (u in, du out), MainProjection (v in, dv out), Scalings (d in, dd out) and
    // HyperProjection (out: the hyper da). Not read: the forward's inputs, outputs and column copies.
    public HyperLstmForwardSweepArgs Forward;
    public int HasDhT, HasDcT, HasDHyperHT, HasDHyperCT, HasDh0, HasDc0, HasDHyperH0, HasDHyperC0;

    public ArrayView<float> Dy, DhT, DcT, DHyperHT, DHyperCT;
    public ArrayView<float> EmbeddingGrad;              // [B,T,12Z] out: dz
    public ArrayView<float> MainGradient;               // [B,4H] the main da of the current step
    public ArrayView<float> LayerNormGrad, CellLayerNormGrad, HyperLayerNormGrad, HyperCellLayerNormGrad;   // per-sequence partials
    public ArrayView<float> DH0, DC0, DHyperH0, DHyperC0;
}

/// <summary>
/// The HyperLSTM reverse sweep of docs/lstm.md §8.3: walks t = T−1 … 0 carrying dh, dc, dĥ, dĉ. Per step: the main
/// cell's backward (<see cref="LnLstmCell.Backward"/>) gives da; then dd = (da ⊙ u, da ⊙ v, da), du = da ⊙ d_h,
/// dv = da ⊙ d_x (stored over u, v, d for the weight reductions); dz = W_dᵀ dd block by block; dĥ += W_zᵀ dz; the hyper
/// cell's backward gives the hyper da; finally dh_{t−1} = W_hᵀ du + Ŵ_hmᵀ da', dĥ_{t−1} = Ŵ_hᵀ da'.
/// </summary>
/// <remarks>
/// Ownership as in the forward. Barriers: after dd (dz reads whole blocks), after dz (dĥ reads all of it), and after
/// the hyper da (the carries read all of du and da').
/// </remarks>
internal static class HyperLstmReverseSweep
{
    /// <summary>How a layer loads <see cref="ThreadKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, HyperLstmReverseSweepArgs>> ThreadEntry = AutoGrouped<HyperLstmReverseSweepArgs>(ThreadKernel);
    /// <summary>How a layer loads <see cref="GroupKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, HyperLstmReverseSweepArgs>> GroupEntry = Grouped<HyperLstmReverseSweepArgs>(GroupKernel);
    public static void ThreadKernel(Index1D index, HyperLstmReverseSweepArgs a)
    {
        int sequence = index;
        int h = a.Forward.Hidden, n = a.Forward.HyperHidden;
        var v = a.Forward.Vectors.SubView((long)sequence * (2 * h + 2 * n), 2 * h + 2 * n);
        Run(new ThreadSchedule(), a, sequence, v.SubView(0, h), v.SubView(h, h), v.SubView(2 * h, n), v.SubView(2 * h + n, n));
    }

    public static void GroupKernel(HyperLstmReverseSweepArgs a)
    {
        int sequence = Grid.IdxX;
        int groupSize = Group.DimX;
        int h = a.Forward.Hidden, n = a.Forward.HyperHidden;
        var shared = SharedMemory.GetDynamic<float>();
        var partials = shared.SubView(0, 2 * groupSize);
        int o = 2 * groupSize;
        Run(new GroupSchedule(partials, Group.IdxX, groupSize, matricesInGlobal: false), a, sequence,
            shared.SubView(o, h), shared.SubView(o + h, h), shared.SubView(o + 2 * h, n), shared.SubView(o + 2 * h + n, n));
    }

    private static void Run<TSchedule>(TSchedule schedule, HyperLstmReverseSweepArgs a, int q,
        ArrayView<float> dh, ArrayView<float> dc, ArrayView<float> dHyperH, ArrayView<float> dHyperC)
        where TSchedule : struct, ISweepSchedule
    {
        int H = a.Forward.Hidden, N = a.Forward.HyperHidden, Z = a.Forward.Embedding, T = a.Forward.Time;
        int first = schedule.First, stride = schedule.Stride;
        long stateBase = (long)q * (T + 1) * H, hyperBase = (long)q * (T + 1) * N;
        var dGain = a.LayerNormGrad.SubView((long)q * 8 * H, 4 * H);
        var dBias = a.LayerNormGrad.SubView((long)q * 8 * H + 4 * H, 4 * H);
        var dCellGain = a.CellLayerNormGrad.SubView((long)q * 2 * H, H);
        var dCellBias = a.CellLayerNormGrad.SubView((long)q * 2 * H + H, H);
        var dHyperGain = a.HyperLayerNormGrad.SubView((long)q * 8 * N, 4 * N);
        var dHyperBias = a.HyperLayerNormGrad.SubView((long)q * 8 * N + 4 * N, 4 * N);
        var dHyperCellGain = a.HyperCellLayerNormGrad.SubView((long)q * 2 * N, N);
        var dHyperCellBias = a.HyperCellLayerNormGrad.SubView((long)q * 2 * N + N, N);
        var da = a.MainGradient.SubView((long)q * 4 * H, 4 * H);

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
        for (int j = first; j < N; j += stride)
        {
            dHyperH[j] = a.HasDHyperHT != 0 ? a.DHyperHT[(long)q * N + j] : 0f;
            dHyperC[j] = a.HasDHyperCT != 0 ? a.DHyperCT[(long)q * N + j] : 0f;
            dHyperCellGain[j] = 0f;
            dHyperCellBias[j] = 0f;
            for (int k = 0; k < 4; k++)
            {
                dHyperGain[k * N + j] = 0f;
                dHyperBias[k * N + j] = 0f;
            }
        }

        for (int t = T - 1; t >= 0; t--)
        {
            long step = (long)q * T + t;

            // Main cell → da; then a = d_h ⊙ u + d_x ⊙ v + d_b + b.
            for (int j = first; j < H; j += stride)
                dh[j] += a.Dy[step * H + j];
            LnLstmCell.Backward(schedule, H, dh, dc, a.Forward.Normalized.SubView(step * 4 * H, 4 * H), a.Forward.InverseStd.SubView(step * 4, 4),
                a.Forward.LnGain, a.Forward.LnBias, a.Forward.CellLnGain, a.Forward.CellLnBias, a.Forward.CellStates.SubView(stateBase + (long)t * H, H),
                a.Forward.CellNormalized.SubView(step * H, H), a.Forward.CellInverseStd[step], da, dGain, dBias, dCellGain, dCellBias);
            for (int j = first; j < H; j += stride)
                for (int k = 0; k < 4; k++)
                {
                    int r = k * H + j;
                    long g = step * 4 * H + r, s = step * 12 * H + r;
                    float dar = da[r], u = a.Forward.Recurrent[g], v = a.Forward.MainProjection[g];
                    a.Forward.Recurrent[g] = dar * a.Forward.Scalings[s];                 // du = da ⊙ d_h
                    a.Forward.MainProjection[g] = dar * a.Forward.Scalings[s + 4 * H];    // dv = da ⊙ d_x
                    a.Forward.Scalings[s] = dar * u;                              // dd_h
                    a.Forward.Scalings[s + 4 * H] = dar * v;                      // dd_x
                    a.Forward.Scalings[s + 8 * H] = dar;                          // dd_b
                }
            schedule.Barrier();

            // d = W_d z block by block: dz[τ,k,m] = Σ_j W_d[(τ,k,j),m] dd[τ,k,j].
            var dz = a.EmbeddingGrad.SubView(step * 12 * Z, 12 * Z);
            for (int m = first; m < 12 * Z; m += stride)
            {
                int block = m / Z, column = m - block * Z;
                long dd = step * 12 * H + (long)block * H;
                float acc = 0f;
                for (int j = 0; j < H; j++)
                    acc += a.Forward.WD[new RowMajor().Index(block * H + j, column, 12 * H, Z)] * a.Forward.Scalings[dd + j];
                dz[m] = acc;
            }
            schedule.Barrier();

            // z = W_z ĥ_t + …: dĥ_t += W_zᵀ dz; then the hyper cell → its da (into the hyper projection buffer).
            for (int j = first; j < N; j += stride)
            {
                float acc = 0f;
                for (int m = 0; m < 12 * Z; m++)
                    acc += a.Forward.WZ[new RowMajor().Index(m, j, 12 * Z, N)] * dz[m];
                dHyperH[j] += acc;
            }
            var hyperDa = a.Forward.HyperProjection.SubView(step * 4 * N, 4 * N);
            LnLstmCell.Backward(schedule, N, dHyperH, dHyperC, a.Forward.HyperNormalized.SubView(step * 4 * N, 4 * N),
                a.Forward.HyperInverseStd.SubView(step * 4, 4), a.Forward.HyperLnGain, a.Forward.HyperLnBias, a.Forward.HyperCellLnGain, a.Forward.HyperCellLnBias,
                a.Forward.HyperCellStates.SubView(hyperBase + (long)t * N, N), a.Forward.HyperCellNormalized.SubView(step * N, N),
                a.Forward.HyperCellInverseStd[step], hyperDa, dHyperGain, dHyperBias, dHyperCellGain, dHyperCellBias);
            schedule.Barrier();

            // The carries: dh_{t−1} = W_hᵀ du + Ŵ_hmᵀ da', dĥ_{t−1} = Ŵ_hᵀ da'.
            var du = a.Forward.Recurrent.SubView(step * 4 * H, 4 * H);
            for (int j = first; j < H; j += stride)
            {
                float acc = 0f;
                for (int r = 0; r < 4 * H; r++)
                    acc += a.Forward.WH[new RowMajor().Index(r, j, 4 * H, H)] * du[r];
                for (int r = 0; r < 4 * N; r++)
                    acc += a.Forward.HyperWHMain[new RowMajor().Index(r, j, 4 * N, H)] * hyperDa[r];
                dh[j] = acc;
            }
            for (int j = first; j < N; j += stride)
            {
                float acc = 0f;
                for (int r = 0; r < 4 * N; r++)
                    acc += a.Forward.HyperWH[new RowMajor().Index(r, j, 4 * N, N)] * hyperDa[r];
                dHyperH[j] = acc;
            }
            // The next step writes only step t−1's rows and its own units' dh, dĥ: no barrier needed here.
        }

        for (int j = first; j < H; j += stride)
        {
            if (a.HasDh0 != 0) a.DH0[(long)q * H + j] = dh[j];
            if (a.HasDc0 != 0) a.DC0[(long)q * H + j] = dc[j];
        }
        for (int j = first; j < N; j += stride)
        {
            if (a.HasDHyperH0 != 0) a.DHyperH0[(long)q * N + j] = dHyperH[j];
            if (a.HasDHyperC0 != 0) a.DHyperC0[(long)q * N + j] = dHyperC[j];
        }
    }
}
