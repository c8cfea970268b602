using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Lstm;
using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.HyperLstm;

/// <summary>
/// The HyperLSTM of Ha, Dai, Le 2016 on one ILGPU accelerator: a small layer-normalised LSTM (the hyper cell) reads
/// [h_{t−1}, x_t] and emits, through embeddings z, per-row scalings d of the main LSTM's recurrent, input and bias
/// terms. Fused forward (two input projections, then one sweep launch) and a hand-derived backward (docs/lstm.md §8).
/// </summary>
/// <remarks>
/// <para>Per sequence and step: the hyper cell (LN-LSTM of size N_h, own state ĥ, ĉ) on a' = Ŵ_h ĥ + Ŵ_hm h_{t−1} + Ŵ_x x_t + b̂;
/// z = W_z ĥ_t + [b_z; 0] (twelve N_z-vectors, by type h, x, b and gate); d[τ,k] = W_d[τ,k] z[τ,k];
/// a = d_h ⊙ W_h h_{t−1} + d_x ⊙ W_x x_t + d_b + b; then the main LN-LSTM update (as <see cref="LstmLayer"/>).</para>
/// <para>All views must live on <see cref="Accelerator"/>. Every argument is validated before any kernel is launched;
/// a rejected call leaves every buffer as it was. Kernels are compiled once, in the constructor.</para>
/// <para>The group schedule keeps column-major copies of Ŵ_h, Ŵ_hm, W_z, W_h and W_d in the layer, refreshed at the start
/// of every <see cref="Forward"/> on that call's stream (docs/gpu.md §3): forward calls on one layer must not overlap on
/// two streams.</para>
/// </remarks>
public sealed class HyperLstmLayer : IDisposable
{
    private readonly SweepKernels<HyperLstmForwardSweepArgs, HyperLstmReverseSweepArgs> sweeps;
    private readonly DenseLaunches dense;
    private readonly Action<AcceleratorStream, Index1D, NormParameterGradientArgs> normGradient;
    private readonly Action<AcceleratorStream, Index1D, ColumnSumArgs> columnSum;
    private readonly Action<AcceleratorStream, Index1D, ScalingWeightGradientArgs> scalingWeightGradient;
    private readonly Action<AcceleratorStream, Index1D, DualInputGradientArgs> inputGradient;
    private readonly LayerSkeleton skeleton;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> zeroBias; // the main input projection W_x x has no bias of its own
    private readonly Action<AcceleratorStream, Index1D, MatrixTransposeArgs>? transpose;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? columns;  // group schedule: column-major copies of the five matrices

    /// <summary>Builds the layer and compiles its kernels for <paramref name="accelerator"/>.</summary>
    /// <param name="accelerator">Where every buffer and stream passed later must live.</param>
    /// <param name="options">Sizes and settings; validated here.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the exception names it), or the sizes are
    /// too large for the group schedule's shared memory.</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public HyperLstmLayer(Accelerator accelerator, HyperLstmOptions options)
    {
        Schedule = LayerSkeleton.CheckCell(accelerator, options);
        Accelerator = accelerator;
        Options = options;

        int h = options.HiddenSize, n = options.HyperHiddenSize;
        sweeps = SweepKernels<HyperLstmForwardSweepArgs, HyperLstmReverseSweepArgs>.Load(accelerator, Schedule,
            HyperLstmForwardSweep.ThreadEntry, HyperLstmReverseSweep.ThreadEntry, HyperLstmForwardSweep.GroupEntry, HyperLstmReverseSweep.GroupEntry);
        GroupSize = sweeps.GroupSize(accelerator, Math.Max(h, n));
        LayerSkeleton.CheckGroupSharedMemory(accelerator, sweeps.IsGroup,
            (long)HyperLstmForwardSweep.GroupSharedFloats(h, n, GroupSize) * sizeof(float), $"HiddenSize {h} and HyperHiddenSize {n}", plural: true);

        dense = new DenseLaunches(accelerator, InputProjection.Entry.Load(accelerator),
            ParameterGradients.OuterProductSumEntry.Load(accelerator), inputGradient: null, vectorGradient: null);
        normGradient = NormParameterGradient.Entry.Load(accelerator);
        columnSum = HyperLstmReductions.ColumnSumEntry.Load(accelerator);
        scalingWeightGradient = HyperLstmReductions.ScalingWeightGradientEntry.Load(accelerator);
        inputGradient = HyperLstmReductions.InputGradientEntry.Load(accelerator);
        skeleton = new LayerSkeleton(accelerator, nameof(HyperLstmLayer), FiniteCheck.Entry.Load(accelerator), FiniteSlots);
        zeroBias = accelerator.Allocate1D<float>(4L * h);
        zeroBias.MemSetToZero();
        if (Schedule == SweepSchedule.Group)
        {
            transpose = MatrixTranspose.Entry.Load(accelerator);
            columns = accelerator.Allocate1D<float>(ColumnCopyFloats(h, n, options.EmbeddingSize));
        }
    }

    /// <summary>The accelerator every buffer must live on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The options the layer was built with.</summary>
    public HyperLstmOptions Options { get; }

    /// <summary>The schedule in use (<see cref="SweepSchedule.Auto"/> resolved).</summary>
    public SweepSchedule Schedule { get; }

    /// <summary>Threads per group of the group schedule (a multiple of the warp size covering max(H, N_h), at most what both compiled group sweeps allow: on CUDA their registers, elsewhere the device's maximum; above it a thread takes rows k, k + G, …).</summary>
    public int GroupSize { get; }

    /// <summary>Bytes of device memory a workspace for (B, T) takes with these options: exactly what <see cref="CreateWorkspace"/> allocates.</summary>
    /// <param name="batch">B ≥ 1.</param>
    /// <param name="time">T ≥ 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or too large.</exception>
    public long WorkspaceBytes(int batch, int time) =>
        WorkspaceBytes(batch, time, Options.InputSize, Options.HiddenSize, Options.HyperHiddenSize, Options.EmbeddingSize);

    /// <summary>
    /// Bytes of device memory one training call needs:
    /// 4·(B·T·(25H + 9N_h + 24N_z + 10) + 2·B·(T+1)·(H + N_h) + B·(16H + 12N_h)) (docs/lstm.md §8.4). I does not enter.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or too large.</exception>
    public static long WorkspaceBytes(int batch, int time, int input, int hidden, int hyperHidden, int embedding)
    {
        CheckSizes(batch, time, input, hidden, hyperHidden, embedding);
        return new HyperLstmWorkspacePlan(batch, time, hidden, hyperHidden, embedding).TotalBytes;
    }

    /// <summary>Allocates a workspace for batches of up to <paramref name="maxBatch"/> sequences of up to <paramref name="maxTime"/> steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or too large.</exception>
    /// <exception cref="ObjectDisposedException">The layer is disposed.</exception>
    public HyperLstmWorkspace CreateWorkspace(int maxBatch, int maxTime)
    {
        skeleton.ThrowIfDisposed();
        LayerSkeleton.CheckWorkspaceRequest(maxBatch, maxTime);
        CheckSizes(maxBatch, maxTime, Options.InputSize, Options.HiddenSize, Options.HyperHiddenSize, Options.EmbeddingSize);
        return new HyperLstmWorkspace(Accelerator,
            new HyperLstmWorkspacePlan(maxBatch, maxTime, Options.HiddenSize, Options.HyperHiddenSize, Options.EmbeddingSize));
    }

    /// <summary>
    /// Runs the layer over <paramref name="time"/> steps of <paramref name="batch"/> sequences and stores in
    /// <paramref name="workspace"/> what <see cref="Backward"/> needs.
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/> the kernels are queued on.</param>
    /// <param name="workspace">From <see cref="CreateWorkspace"/>, with capacity ≥ (batch, time).</param>
    /// <param name="y">Out [B,T,H]: h after every step. Overwritten.</param>
    /// <param name="stateT">Out: the state after the last step (all four views required). Overwritten. Its views may be
    /// the same as <paramref name="state0"/>'s; passing it as the next call's state0 continues the sequence exactly.</param>
    /// <param name="x">In [B,T,I].</param>
    /// <param name="state0">In: the initial state; each empty view means zeros.</param>
    /// <param name="parameters">The eighteen weight tensors.</param>
    /// <param name="batch">B ≥ 1.</param>
    /// <param name="time">T ≥ 1.</param>
    /// <exception cref="ArgumentException">A view has the wrong length, is missing, or lives on another accelerator;
    /// or (with <see cref="RecurrentCellOptions.CheckFinite"/>) an input holds NaN/Inf. The message names the argument.</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time &lt; 1, or larger than the workspace.</exception>
    /// <exception cref="ObjectDisposedException">The layer, workspace, stream or a buffer is disposed.</exception>
    public void Forward(AcceleratorStream stream, HyperLstmWorkspace workspace, ArrayView<float> y, HyperLstmState stateT,
        ArrayView<float> x, HyperLstmState state0, HyperLstmParameters parameters, int batch, int time)
    {
        skeleton.ThrowIfDisposed();
        CheckCall(stream, workspace, batch, time);
        int H = Options.HiddenSize, N = Options.HyperHiddenSize, I = Options.InputSize;
        ViewChecks.Required(y, nameof(y), (long)batch * time * H, $"[B={batch},T={time},H={H}]", Accelerator);
        foreach (var (view, name, length, shape) in States(stateT, "hT", "cT", "hyperHT", "hyperCT", batch))
            ViewChecks.Required(view, name, length, shape, Accelerator);
        ViewChecks.Required(x, nameof(x), (long)batch * time * I, $"[B={batch},T={time},I={I}]", Accelerator);
        var has0 = States(state0, "h0", "c0", "hyperH0", "hyperC0", batch)
            .Select(s => ViewChecks.Optional(s.View, s.Name, s.Length, s.Shape, Accelerator)).ToArray();
        var weights = Weights(parameters);
        foreach (var (view, name, length, shape) in weights)
            ViewChecks.Required(view, name, length, shape, Accelerator);
        if (Options.CheckFinite)
            skeleton.ThrowIfNotFinite(stream, new[] { (x, nameof(x)), (state0.H, "h0"), (state0.C, "c0"), (state0.HyperH, "hyperH0"), (state0.HyperC, "hyperC0") }
                .Concat(weights.Select(w => (w.View, w.Name))).ToArray());

        int rows = batch * time;
        dense.Project(stream, rows, 4 * H, I, workspace.Buffers.MainProjection, x, parameters.WX, zeroBias.View);
        dense.Project(stream, rows, 4 * N, I, workspace.Buffers.HyperProjection, x, parameters.HyperWX, parameters.HyperB);

        var args = SweepArguments(workspace, parameters, batch, time) with
        {
            HasH0 = has0[0] ? 1 : 0, HasC0 = has0[1] ? 1 : 0, HasHyperH0 = has0[2] ? 1 : 0, HasHyperC0 = has0[3] ? 1 : 0,
            H0 = has0[0] ? state0.H : workspace.Buffers.Vectors, C0 = has0[1] ? state0.C : workspace.Buffers.Vectors,
            HyperH0 = has0[2] ? state0.HyperH : workspace.Buffers.Vectors, HyperC0 = has0[3] ? state0.HyperC : workspace.Buffers.Vectors,
            Y = y, HT = stateT.H, CT = stateT.C, HyperHT = stateT.HyperH, HyperCT = stateT.HyperC,
        };
        if (!sweeps.IsGroup)
            sweeps.Forward(stream, batch, GroupConfig(batch), args);
        else
        {
            // The group forward reads its five matrices column-major (coalesced across a warp, docs/gpu.md §3): copy them first.
            sweeps.Forward(stream, batch, GroupConfig(batch), args with { Columns = CopyColumns(stream, parameters) });
        }
        workspace.RecordForward(this, batch, time);
    }

    /// <summary>
    /// Gradients of a scalar loss L given dL/dy and dL/d(final state), for the inputs and parameters of the last
    /// <see cref="Forward"/> run with <paramref name="workspace"/>. Consumes the forward's tape: a second backward needs
    /// a new forward. x and the parameters must be the ones that forward saw.
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="workspace">The workspace the matching forward used.</param>
    /// <param name="dx">Out [B,T,I], or empty if not wanted. Overwritten.</param>
    /// <param name="dState0">Out: gradients of the initial state; each view may be empty (not wanted). Overwritten.</param>
    /// <param name="gradients">Out: the eighteen weight gradients. Overwritten (summed in a fixed order: bit-identical run to run).</param>
    /// <param name="dy">In [B,T,H].</param>
    /// <param name="dStateT">In: gradients of the final state; each view may be empty (zeros).</param>
    /// <param name="x">In [B,T,I]: the forward's input.</param>
    /// <param name="parameters">The forward's parameters.</param>
    /// <param name="batch">B, as in the forward.</param>
    /// <param name="time">T, as in the forward.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere; or a NaN/Inf
    /// (with <see cref="RecurrentCellOptions.CheckFinite"/>). The message names the argument.</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time &lt; 1, or larger than the workspace.</exception>
    /// <exception cref="InvalidOperationException">No unconsumed forward of this (batch, time) by this layer on this workspace.</exception>
    /// <exception cref="ObjectDisposedException">The layer, workspace, stream or a buffer is disposed.</exception>
    public void Backward(AcceleratorStream stream, HyperLstmWorkspace workspace, ArrayView<float> dx, HyperLstmState dState0,
        HyperLstmParameterGradients gradients, ArrayView<float> dy, HyperLstmState dStateT, ArrayView<float> x,
        HyperLstmParameters parameters, int batch, int time)
    {
        skeleton.ThrowIfDisposed();
        CheckCall(stream, workspace, batch, time);
        workspace.RequireForward(this, batch, time, consumesTape: true);
        int H = Options.HiddenSize, N = Options.HyperHiddenSize, Z = Options.EmbeddingSize, I = Options.InputSize;
        bool hasDx = ViewChecks.Optional(dx, nameof(dx), (long)batch * time * I, $"[B={batch},T={time},I={I}]", Accelerator);
        var hasD0 = States(dState0, "dh0", "dc0", "dHyperH0", "dHyperC0", batch)
            .Select(s => ViewChecks.Optional(s.View, s.Name, s.Length, s.Shape, Accelerator)).ToArray();
        foreach (var (view, name, length, shape) in Gradients(gradients))
            ViewChecks.Required(view, name, length, shape, Accelerator);
        ViewChecks.Required(dy, nameof(dy), (long)batch * time * H, $"[B={batch},T={time},H={H}]", Accelerator);
        var hasDT = States(dStateT, "dhT", "dcT", "dHyperHT", "dHyperCT", batch)
            .Select(s => ViewChecks.Optional(s.View, s.Name, s.Length, s.Shape, Accelerator)).ToArray();
        ViewChecks.Required(x, nameof(x), (long)batch * time * I, $"[B={batch},T={time},I={I}]", Accelerator);
        foreach (var (view, name, length, shape) in Weights(parameters))
            ViewChecks.Required(view, name, length, shape, Accelerator);
        if (Options.CheckFinite)
            skeleton.ThrowIfNotFinite(stream, (dy, nameof(dy)), (dStateT.H, "dhT"), (dStateT.C, "dcT"), (dStateT.HyperH, "dHyperHT"), (dStateT.HyperC, "dHyperCT"));

        var scratch = workspace.Buffers.Vectors;
        var args = new HyperLstmReverseSweepArgs
        {
            Forward = SweepArguments(workspace, parameters, batch, time),
            HasDhT = hasDT[0] ? 1 : 0, HasDcT = hasDT[1] ? 1 : 0, HasDHyperHT = hasDT[2] ? 1 : 0, HasDHyperCT = hasDT[3] ? 1 : 0,
            HasDh0 = hasD0[0] ? 1 : 0, HasDc0 = hasD0[1] ? 1 : 0, HasDHyperH0 = hasD0[2] ? 1 : 0, HasDHyperC0 = hasD0[3] ? 1 : 0,
            Dy = dy, DhT = hasDT[0] ? dStateT.H : scratch, DcT = hasDT[1] ? dStateT.C : scratch,
            DHyperHT = hasDT[2] ? dStateT.HyperH : scratch, DHyperCT = hasDT[3] ? dStateT.HyperC : scratch,
            EmbeddingGrad = workspace.Buffers.EmbeddingGrad, MainGradient = workspace.Buffers.MainGradient,
            LayerNormGrad = workspace.Buffers.LayerNormGrad, CellLayerNormGrad = workspace.Buffers.CellLayerNormGrad,
            HyperLayerNormGrad = workspace.Buffers.HyperLayerNormGrad, HyperCellLayerNormGrad = workspace.Buffers.HyperCellLayerNormGrad,
            DH0 = hasD0[0] ? dState0.H : scratch, DC0 = hasD0[1] ? dState0.C : scratch,
            DHyperH0 = hasD0[2] ? dState0.HyperH : scratch, DHyperC0 = hasD0[3] ? dState0.HyperC : scratch,
        };
        sweeps.Reverse(stream, batch, GroupConfig(batch), args);
        workspace.ForwardShape = null; // u, v, d and the hyper projection now hold gradients

        // Weight gradients, each element summed over (b, t) in a fixed order.
        var g = gradients;
        long hStates = (long)(time + 1) * H, nStates = (long)(time + 1) * N;
        dense.OuterSum(stream, batch, time, 4 * H, H, g.DWH, workspace.Buffers.Recurrent, workspace.Buffers.Main.States, hStates);
        dense.OuterSum(stream, batch, time, 4 * H, I, g.DWX, workspace.Buffers.MainProjection, x, (long)time * I);
        dense.OuterSum(stream, batch, time, 4 * N, N, g.DHyperWH, workspace.Buffers.HyperProjection, workspace.Buffers.Hyper.States, nStates);
        dense.OuterSum(stream, batch, time, 4 * N, H, g.DHyperWHMain, workspace.Buffers.HyperProjection, workspace.Buffers.Main.States, hStates);
        dense.OuterSum(stream, batch, time, 4 * N, I, g.DHyperWX, workspace.Buffers.HyperProjection, x, (long)time * I);
        // dW_z pairs dz_t with ĥ_t, the state after step t: the hyper states from row 1 on.
        dense.OuterSum(stream, batch, time, 12 * Z, N, g.DWZ, workspace.Buffers.EmbeddingGrad,
            workspace.Buffers.Hyper.States.SubView(N, workspace.Buffers.Hyper.States.Length - N), nStates);
        int rows = batch * time;
        ColumnSum(stream, rows, 4 * H, g.DB, workspace.Buffers.Scalings, 8L * H, 12L * H);
        ColumnSum(stream, rows, 4 * N, g.DHyperB, workspace.Buffers.HyperProjection, 0, 4L * N);
        ColumnSum(stream, rows, 8 * Z, g.DBZ, workspace.Buffers.EmbeddingGrad, 0, 12L * Z);
        NormParameterGradient.Launch(normGradient, stream, batch, 4 * H, g.DLnGain, g.DLnBias, workspace.Buffers.LayerNormGrad);
        NormParameterGradient.Launch(normGradient, stream, batch, H, g.DCellLnGain, g.DCellLnBias, workspace.Buffers.CellLayerNormGrad);
        NormParameterGradient.Launch(normGradient, stream, batch, 4 * N, g.DHyperLnGain, g.DHyperLnBias, workspace.Buffers.HyperLayerNormGrad);
        NormParameterGradient.Launch(normGradient, stream, batch, N, g.DHyperCellLnGain, g.DHyperCellLnBias, workspace.Buffers.HyperCellLayerNormGrad);
        long wdTotal = 12L * H * Z;
        int wdBlock = ElementBlocks.For(Accelerator, wdTotal);
        scalingWeightGradient(stream, (Index1D)ElementBlocks.Threads(wdTotal, wdBlock), new ScalingWeightGradientArgs
        {
            Rows = rows, Hidden = H, Embedding = Z, Block = wdBlock, Output = g.DWD,
            ScalingGrad = workspace.Buffers.Scalings, Embeddings = workspace.Buffers.Embeddings,
        });
        if (hasDx)
        {
            int dxBlock = ElementBlocks.For(Accelerator, (long)rows * I);
            inputGradient(stream, (Index1D)ElementBlocks.Threads((long)rows * I, dxBlock), new DualInputGradientArgs
            {
                Rows = rows, Input = I, MainRows = 4 * H, HyperRows = 4 * N, Block = dxBlock, DX = dx,
                MainGrad = workspace.Buffers.MainProjection, MainWeights = parameters.WX,
                HyperGrad = workspace.Buffers.HyperProjection, HyperWeights = parameters.HyperWX,
            });
        }
    }

    private void ColumnSum(AcceleratorStream stream, int rows, int columns, ArrayView<float> output, ArrayView<float> input, long offset, long rowStride) =>
        columnSum(stream, (Index1D)columns, new ColumnSumArgs
        {
            Rows = rows, Columns = columns, Offset = offset, RowStride = rowStride, Output = output, Input = input,
        });

    private IEnumerable<(ArrayView<float> View, string Name, long Length, string Shape)> States(
        HyperLstmState state, string h, string c, string hyperH, string hyperC, int batch)
    {
        int H = Options.HiddenSize, N = Options.HyperHiddenSize;
        yield return (state.H, h, (long)batch * H, $"[B={batch},H={H}]");
        yield return (state.C, c, (long)batch * H, $"[B={batch},H={H}]");
        yield return (state.HyperH, hyperH, (long)batch * N, $"[B={batch},N_h={N}]");
        yield return (state.HyperC, hyperC, (long)batch * N, $"[B={batch},N_h={N}]");
    }

    /// <summary>Names, lengths and shapes of the eighteen weight tensors, in the record's order, with a prefix for gradients.</summary>
    private (ArrayView<float> View, string Name, long Length, string Shape)[] Shapes(ArrayView<float>[] views, string prefix)
    {
        long H = Options.HiddenSize, N = Options.HyperHiddenSize, Z = Options.EmbeddingSize, I = Options.InputSize;
        var table = new (string Name, long Length, string Shape)[]
        {
            ("WH", 4 * H * H, $"[4H={4 * H},H={H}]"), ("WX", 4 * H * I, $"[4H={4 * H},I={I}]"), ("B", 4 * H, $"[4H={4 * H}]"),
            ("LnGain", 4 * H, $"[4H={4 * H}]"), ("LnBias", 4 * H, $"[4H={4 * H}]"), ("CellLnGain", H, $"[H={H}]"), ("CellLnBias", H, $"[H={H}]"),
            ("HyperWH", 4 * N * N, $"[4N_h={4 * N},N_h={N}]"), ("HyperWHMain", 4 * N * H, $"[4N_h={4 * N},H={H}]"),
            ("HyperWX", 4 * N * I, $"[4N_h={4 * N},I={I}]"), ("HyperB", 4 * N, $"[4N_h={4 * N}]"),
            ("HyperLnGain", 4 * N, $"[4N_h={4 * N}]"), ("HyperLnBias", 4 * N, $"[4N_h={4 * N}]"),
            ("HyperCellLnGain", N, $"[N_h={N}]"), ("HyperCellLnBias", N, $"[N_h={N}]"),
            ("WZ", 12 * Z * N, $"[12N_z={12 * Z},N_h={N}]"), ("BZ", 8 * Z, $"[8N_z={8 * Z}]"), ("WD", 12 * H * Z, $"[12H={12 * H},N_z={Z}]"),
        };
        return table.Select((e, k) => (views[k], prefix + e.Name, e.Length, e.Shape)).ToArray();
    }

    private (ArrayView<float> View, string Name, long Length, string Shape)[] Weights(HyperLstmParameters p) => Shapes(
    [
        p.WH, p.WX, p.B, p.LnGain, p.LnBias, p.CellLnGain, p.CellLnBias, p.HyperWH, p.HyperWHMain, p.HyperWX, p.HyperB,
        p.HyperLnGain, p.HyperLnBias, p.HyperCellLnGain, p.HyperCellLnBias, p.WZ, p.BZ, p.WD,
    ], "");

    private (ArrayView<float> View, string Name, long Length, string Shape)[] Gradients(HyperLstmParameterGradients g) => Shapes(
    [
        g.DWH, g.DWX, g.DB, g.DLnGain, g.DLnBias, g.DCellLnGain, g.DCellLnBias, g.DHyperWH, g.DHyperWHMain, g.DHyperWX, g.DHyperB,
        g.DHyperLnGain, g.DHyperLnBias, g.DHyperCellLnGain, g.DHyperCellLnBias, g.DWZ, g.DBZ, g.DWD,
    ], "D");

    private const int FiniteSlots = 32;

    /// <summary>Floats of the five column-major copies: 4N·N + 4N·H + 12Z·N + 4H·H + 12H·Z.</summary>
    private static long ColumnCopyFloats(int h, int n, int z) => 4L * n * n + 4L * n * h + 12L * z * n + 4L * h * h + 12L * h * z;

    /// <summary>Queues the column-major copies of the matrices the group forward reads every step; returns their views.</summary>
    private HyperLstmSweepWeights CopyColumns(AcceleratorStream stream, HyperLstmParameters p)
    {
        int H = Options.HiddenSize, N = Options.HyperHiddenSize, Z = Options.EmbeddingSize;
        long offset = 0;
        ArrayView<float> Copy(ArrayView<float> source, int rows, int cols)
        {
            var target = columns!.View.SubView(offset, (long)rows * cols);
            offset += (long)rows * cols;
            MatrixTranspose.Launch(transpose!, stream, source, target, rows, cols);
            return target;
        }
        return new HyperLstmSweepWeights
        {
            HyperWH = Copy(p.HyperWH, 4 * N, N), HyperWHMain = Copy(p.HyperWHMain, 4 * N, H), WZ = Copy(p.WZ, 12 * Z, N),
            WH = Copy(p.WH, 4 * H, H), WD = Copy(p.WD, 12 * H, Z),
        };
    }

    /// <summary>
    /// The parameter set both sweeps read (the reverse's extends it): sizes, ε, both cells' weights and norms and the
    /// tapes in <paramref name="workspace"/>; the forward adds its initial state and outputs.
    /// </summary>
    private HyperLstmForwardSweepArgs SweepArguments(HyperLstmWorkspace workspace, HyperLstmParameters parameters, int batch, int time) => new()
    {
        Batch = batch, Time = time, Hidden = Options.HiddenSize, HyperHidden = Options.HyperHiddenSize, Embedding = Options.EmbeddingSize,
        LnEps = (float)Options.LayerNormEpsilon,
        MainProjection = workspace.Buffers.MainProjection, HyperProjection = workspace.Buffers.HyperProjection,
        WH = parameters.WH, B = parameters.B, LnGain = parameters.LnGain, LnBias = parameters.LnBias,
        CellLnGain = parameters.CellLnGain, CellLnBias = parameters.CellLnBias,
        HyperWH = parameters.HyperWH, HyperWHMain = parameters.HyperWHMain, HyperLnGain = parameters.HyperLnGain,
        HyperLnBias = parameters.HyperLnBias, HyperCellLnGain = parameters.HyperCellLnGain, HyperCellLnBias = parameters.HyperCellLnBias,
        WZ = parameters.WZ, BZ = parameters.BZ, WD = parameters.WD,
        States = workspace.Buffers.Main.States, CellStates = workspace.Buffers.Main.CellStates, Normalized = workspace.Buffers.Main.Normalized,
        InverseStd = workspace.Buffers.Main.InverseStd, CellNormalized = workspace.Buffers.Main.CellNormalized, CellInverseStd = workspace.Buffers.Main.CellInverseStd,
        Recurrent = workspace.Buffers.Recurrent, Scalings = workspace.Buffers.Scalings,
        HyperStates = workspace.Buffers.Hyper.States, HyperCellStates = workspace.Buffers.Hyper.CellStates, HyperNormalized = workspace.Buffers.Hyper.Normalized,
        HyperInverseStd = workspace.Buffers.Hyper.InverseStd, HyperCellNormalized = workspace.Buffers.Hyper.CellNormalized,
        HyperCellInverseStd = workspace.Buffers.Hyper.CellInverseStd, Embeddings = workspace.Buffers.Embeddings, Vectors = workspace.Buffers.Vectors,
    };

    private KernelConfig GroupConfig(int batch) =>
        SweepKernels<HyperLstmForwardSweepArgs, HyperLstmReverseSweepArgs>.GroupConfig(batch, GroupSize,
            HyperLstmForwardSweep.GroupSharedFloats(Options.HiddenSize, Options.HyperHiddenSize, GroupSize));

    private static void CheckSizes(int batch, int time, int input, int hidden, int hyperHidden, int embedding)
    {
        LayerSkeleton.CheckSizes(batch, time, input, hidden);
        ViewChecks.Positive(hyperHidden, nameof(hyperHidden));
        ViewChecks.Positive(embedding, nameof(embedding));
        // Kernels index rows of [B·T·max(12H, 12N_z, 4N_h, I)] with 32-bit thread indices.
        long widest = Math.Max(Math.Max(12L * hidden, 12L * embedding), Math.Max(4L * hyperHidden, input));
        if ((long)batch * time * widest > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, "B·T·max(12H, 12N_z, 4N_h, I) must be below 2³¹.");
    }

    private void CheckCall(AcceleratorStream stream, HyperLstmWorkspace workspace, int batch, int time) =>
        skeleton.CheckCall(stream, workspace, w => w.Plan.Hidden == Options.HiddenSize && w.Plan.HyperHidden == Options.HyperHiddenSize
            && w.Plan.Embedding == Options.EmbeddingSize, "other sizes", batch, time);

    /// <summary>Frees the layer's own device memory (flags and a zero bias). Kernels are owned by the accelerator. Safe to call twice.</summary>
    public void Dispose()
    {
        if (!skeleton.Close()) return;
        zeroBias.Dispose();
        columns?.Dispose();
    }
}
