using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.Lstm;

/// <summary>Everything the LSTM reverse sweep reads and writes: the forward's parameter set, extended by the gradients.</summary>
internal struct LstmReverseSweepArgs
{
    // Read: the sizes, W_h, the norms' γ and β, the forward's tape (CellStates, Normalized … CellInverseStd) and the
    // Vectors scratch. Not read: the forward's inputs and outputs.
    public LstmForwardSweepArgs Forward;
    public int HasDhT, HasDcT, HasDh0, HasDc0;

    public ArrayView<float> Dy, DhT, DcT;                               // [B,T,H], [B,H], [B,H]
    public ArrayView<float> Da;                                         // [B,T,4H] out: dL/da (gate pre-activations) per step
    public ArrayView<float> LayerNormGrad;                              // [B,2,4H] out: per-sequence Σ dn ⊙ â and Σ dn
    public ArrayView<float> CellLayerNormGrad;                          // [B,2,H] out: per-sequence Σ dm ⊙ ĉ and Σ dm
    public ArrayView<float> DH0, DC0;                                   // [B,H] out, written when Has* = 1
}

/// <summary>
/// The reverse sweep of docs/lstm.md §3: walks t = T−1 … 0 carrying dh and dc; the cell step's backward
/// (<see cref="LnLstmCell.Backward"/>) recomputes the gate outputs
/// and tanh of the normalised cell from the stored â and ĉ, and writes da per step (the weight gradients are formed
/// afterwards by deterministic batched reductions), the per-sequence layer-norm partials, dh0 and dc0.
/// </summary>
/// <remarks>
/// Ownership by hidden unit as in the forward: dh_j, dc_j and the rows kH+j of da belong to one thread. The only
/// cross-unit reads are the ten layer-norm sums and W_hᵀ da (all 4H rows of da), fenced by one barrier.
/// </remarks>
internal static class LstmReverseSweep
{
    /// <summary>How a layer loads <see cref="ThreadKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LstmReverseSweepArgs>> ThreadEntry = AutoGrouped<LstmReverseSweepArgs>(ThreadKernel);
    /// <summary>How a layer loads <see cref="GroupKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, LstmReverseSweepArgs>> GroupEntry = Grouped<LstmReverseSweepArgs>(GroupKernel);
    public static void ThreadKernel(Index1D index, LstmReverseSweepArgs a)
    {
        int h = a.Forward.Hidden;
        var vectors = SweepScratch.Thread(a.Forward.Vectors, index, 2 * h);
        Run(new ThreadSchedule(), a, index, vectors.SubView(0, h), vectors.SubView(h, h));
    }

    public static void GroupKernel(LstmReverseSweepArgs a)
    {
        int h = a.Forward.Hidden;
        var shared = SharedMemory.GetDynamic<float>();
        var vectors = SweepScratch.GroupVectors(shared, 2 * h);
        Run(SweepScratch.GroupOver(shared, matricesInGlobal: false), a, Grid.IdxX, vectors.SubView(0, h), vectors.SubView(h, h));
    }

    private static void Run<TSchedule>(TSchedule schedule, LstmReverseSweepArgs a, int q, ArrayView<float> dh, ArrayView<float> dc)
        where TSchedule : struct, ISweepSchedule
    {
        int H = a.Forward.Hidden, T = a.Forward.Time, G4 = 4 * H;
        int first = schedule.First, stride = schedule.Stride;
        long stateBase = (long)q * (T + 1) * H;
        var dGain = a.LayerNormGrad.SubView((long)q * 2 * G4, G4);
        var dBias = a.LayerNormGrad.SubView((long)q * 2 * G4 + G4, G4);
        var dCellGain = a.CellLayerNormGrad.SubView((long)q * 2 * H, H);
        var dCellBias = a.CellLayerNormGrad.SubView((long)q * 2 * H + H, H);

        LnLstmCell.BeginBackward(first, stride, H, a.HasDhT, a.DhT, a.HasDcT, a.DcT, (long)q * H, dh, dc, dGain, dBias, dCellGain, dCellBias);

        for (int t = T - 1; t >= 0; t--)
        {
            long cellBase = ((long)q * T + t) * H, gateBase = ((long)q * T + t) * G4, statBase = ((long)q * T + t) * 4;
            var chat = a.Forward.CellNormalized.SubView(cellBase, H);
            var ahat = a.Forward.Normalized.SubView(gateBase, G4);
            var da = a.Da.SubView(gateBase, G4);

            for (int j = first; j < H; j += stride)
                dh[j] += a.Dy[cellBase + j];
            // Cell output, cell norm, c = f ⊙ c_prev + i ⊙ g, gate norms → da (ten sums; docs/lstm.md §3).
            LnLstmCell.Backward(schedule, H, dh, dc, ahat, a.Forward.InverseStd.SubView(statBase, 4),
                a.Forward.LnGain, a.Forward.LnBias, a.Forward.CellLnGain, a.Forward.CellLnBias, a.Forward.CellStates.SubView(stateBase + (long)t * H, H), chat,
                a.Forward.CellInverseStd[(long)q * T + t], da, dGain, dBias, dCellGain, dCellBias);
            schedule.Barrier();

            // a = W_h h_prev + …: dh_prev = W_hᵀ da, reading all 4H rows of da.
            for (int j = first; j < H; j += stride)
            {
                float acc = 0f;
                for (int r = 0; r < G4; r++)
                    acc += a.Forward.WH[new RowMajor().Index(r, j, G4, H)] * da[r];   // lanes over j: consecutive addresses
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
}
