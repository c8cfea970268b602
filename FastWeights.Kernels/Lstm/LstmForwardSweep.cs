using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.Lstm;

/// <summary>Everything the LSTM forward sweep reads and writes, passed by value to the kernel.</summary>
internal struct LstmForwardSweepArgs
{
    public int Batch, Time, Hidden, HasH0, HasC0;
    public float LnEps;

    public ArrayView<float> Projection;                         // [B,T,4H] W_x x_t + b
    public ArrayView<float> WH, LnGain, LnBias;                 // [4H,H], [4H], [4H]
    public ArrayView<float> WHColumns;                          // [H,4H] column-major copy of W_h (group kernel only)
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
/// c = f ⊙ c + i ⊙ g; h = o ⊙ tanh(γ_c ⊙ LN(c) + β_c). The math is written once in <see cref="Run{TSchedule, TLayout}"/>
/// (the cell step in <see cref="LnLstmCell.Forward"/>); the two kernels only decide where the h vectors live and who
/// owns which units.
/// </summary>
/// <remarks>
/// Ownership is by hidden unit j: a thread computes the four gate rows j, H+j, 2H+j, 3H+j of unit j, so the
/// cell update needs no exchange; c_j is only ever read by its owner. Only h is read whole (by W_h h), fenced by
/// one barrier per step, and the ten layer-norm statistics are sequence-wide sums (<see cref="ISweepSchedule.Sum"/>).
/// </remarks>
internal static class LstmForwardSweep
{
    /// <summary>How a layer loads <see cref="ThreadKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LstmForwardSweepArgs>> ThreadEntry = AutoGrouped<LstmForwardSweepArgs>(ThreadKernel);
    /// <summary>How a layer loads <see cref="GroupKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, LstmForwardSweepArgs>> GroupEntry = Grouped<LstmForwardSweepArgs>(GroupKernel);
    public static void ThreadKernel(Index1D index, LstmForwardSweepArgs a)
    {
        int h = a.Hidden;
        var vectors = SweepScratch.Thread(a.Vectors, index, 2 * h);
        Run(new ThreadSchedule(), new RowMajor(), a.WH, a, index, vectors.SubView(0, h), vectors.SubView(h, h));
    }

    public static void GroupKernel(LstmForwardSweepArgs a)
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

    /// <summary>The sweep; <paramref name="wh"/> is W_h [4H,H] in <paramref name="layout"/>.</summary>
    private static void Run<TSchedule, TLayout>(TSchedule schedule, TLayout layout, ArrayView<float> wh, LstmForwardSweepArgs a, int q,
        ArrayView<float> hCur, ArrayView<float> hNext)
        where TSchedule : struct, ISweepSchedule
        where TLayout : struct, IMatrixLayout
    {
        int H = a.Hidden, T = a.Time, G4 = 4 * H;
        int first = schedule.First, stride = schedule.Stride;
        long stateBase = (long)q * (T + 1) * H;

        // State in. h0/hT and c0/cT may alias: each element is read here before its owner writes it at the end.
        LnLstmCell.BeginForward(first, stride, H, a.HasH0, a.H0, a.HasC0, a.C0, (long)q * H, hCur, a.States, a.CellStates, stateBase);
        schedule.Barrier();

        for (int t = 0; t < T; t++)
        {
            long gateBase = ((long)q * T + t) * G4;
            var pre = a.Normalized.SubView(gateBase, G4);   // holds a, then â in place
            for (int j = first; j < H; j += stride)
                for (int k = 0; k < 4; k++)
                {
                    int r = k * H + j;
                    float acc = a.Projection[gateBase + r];
                    for (int l = 0; l < H; l++)
                        acc += wh[layout.Index(r, l, G4, H)] * hCur[l];
                    pre[r] = acc;
                }

            // Gate norms, c = f ⊙ c + i ⊙ g, cell norm, h (ten sums; docs/lstm.md §5).
            long prevState = stateBase + (long)t * H, nextState = prevState + H, cellBase = ((long)q * T + t) * H;
            LnLstmCell.Forward(schedule, H, a.LnEps, pre, a.InverseStd.SubView(((long)q * T + t) * 4, 4),
                a.LnGain, a.LnBias, a.CellLnGain, a.CellLnBias,
                a.CellStates.SubView(prevState, H), a.CellStates.SubView(nextState, H),
                a.CellNormalized.SubView(cellBase, H), a.CellInverseStd.SubView((long)q * T + t, 1), hNext);
            for (int j = first; j < H; j += stride)
            {
                a.Y[cellBase + j] = hNext[j];
                a.States[nextState + j] = hNext[j];
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
}
