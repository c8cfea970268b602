using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.GatedCells;

/// <summary>
/// The host side both layer-normalised gated cells (<see cref="Lstm.LstmLayer"/>, <see cref="Gru.GruLayer"/>) run the
/// same way around their own sweeps: construction (schedule, sweep pair, group size and its shared-memory check, the
/// dense launches, the skeleton, a zero bias for a cell whose input projection has none, the column-major copy of W_h
/// of the group schedule), the forward (checks, input projection, sweep) and the backward (checks, reverse sweep, the
/// cell's parameter gradients, dx). The cell supplies its gate count, its sweep entries and arguments, its states and
/// weights by name, and its parameter-gradient launches. Every check runs in the order, and with the message and
/// argument name, the two layers used before they shared it.
/// </summary>
/// <typeparam name="TForward">The cell's forward sweep arguments.</typeparam>
/// <typeparam name="TReverse">The cell's reverse sweep arguments.</typeparam>
internal sealed class GatedCellKernels<TForward, TReverse> : IGatedCellKernels
    where TForward : struct
    where TReverse : struct
{
    private const int FiniteSlots = 16;

    private readonly RecurrentCellOptions options;
    private readonly SweepKernels<TForward, TReverse> sweeps;
    private readonly Func<int, int, int> groupSharedFloats;
    private readonly DenseLaunches dense;
    private readonly LayerSkeleton skeleton;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? zeroBias;   // [GH] when the input projection has no bias
    private readonly Action<AcceleratorStream, Index1D, MatrixTransposeArgs>? transpose;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? whColumns;  // [H,GH] group schedule: column-major W_h

    /// <summary>Checks the arguments and options, loads the kernels and allocates the layer's own buffers.</summary>
    /// <param name="accelerator">The layer's accelerator.</param>
    /// <param name="options">The layer's options (validated here).</param>
    /// <param name="layerName">The layer's type name, for the disposed check.</param>
    /// <param name="gates">G.</param>
    /// <param name="forwardThread">The thread-schedule forward sweep.</param>
    /// <param name="reverseThread">The thread-schedule reverse sweep.</param>
    /// <param name="forwardGroup">The group-schedule forward sweep.</param>
    /// <param name="reverseGroup">The group-schedule reverse sweep.</param>
    /// <param name="groupSharedFloats">Floats of shared memory of a group sweep for (H, group size).</param>
    /// <param name="inputBias">Whether the cell's input projection has a bias of its own (otherwise a zero bias is kept).</param>
    /// <param name="vectorGradients">Whether the cell sums vector gradients over (b, t) (<see cref="DenseLaunches.VectorGradients"/>).</param>
    public GatedCellKernels(Accelerator accelerator, RecurrentCellOptions options, string layerName, int gates,
        KernelEntry<Action<AcceleratorStream, Index1D, TForward>> forwardThread, KernelEntry<Action<AcceleratorStream, Index1D, TReverse>> reverseThread,
        KernelEntry<Action<AcceleratorStream, KernelConfig, TForward>> forwardGroup, KernelEntry<Action<AcceleratorStream, KernelConfig, TReverse>> reverseGroup,
        Func<int, int, int> groupSharedFloats, bool inputBias, bool vectorGradients)
    {
        Schedule = LayerSkeleton.CheckCell(accelerator, options);
        Accelerator = accelerator;
        this.options = options;
        Gates = gates;
        this.groupSharedFloats = groupSharedFloats;

        int h = options.HiddenSize;
        sweeps = SweepKernels<TForward, TReverse>.Load(accelerator, Schedule, forwardThread, reverseThread, forwardGroup, reverseGroup);
        GroupSize = sweeps.GroupSize(accelerator, h);
        // The group kernels keep only two H-vectors and the reduction partials on chip: no opt-in is ever needed.
        LayerSkeleton.CheckGroupSharedMemory(accelerator, sweeps.IsGroup,
            (long)groupSharedFloats(h, GroupSize) * sizeof(float), $"HiddenSize {h}", plural: false);

        dense = new DenseLaunches(accelerator, InputProjection.Entry.Load(accelerator),
            ParameterGradients.OuterProductSumEntry.Load(accelerator), ParameterGradients.InputGradientEntry.Load(accelerator),
            vectorGradients ? ParameterGradients.VectorGradientEntry.Load(accelerator) : null);
        skeleton = new LayerSkeleton(accelerator, layerName, FiniteCheck.Entry.Load(accelerator), FiniteSlots);
        if (!inputBias)
        {
            zeroBias = accelerator.Allocate1D<float>((long)gates * h);
            zeroBias.MemSetToZero();
            accelerator.Synchronize();
        }
        if (Schedule == SweepSchedule.Group)
        {
            transpose = MatrixTranspose.Entry.Load(accelerator);
            whColumns = accelerator.Allocate1D<float>((long)gates * h * h);
        }
    }

    /// <inheritdoc/>
    public Accelerator Accelerator { get; }

    /// <inheritdoc/>
    public SweepSchedule Schedule { get; }

    /// <inheritdoc/>
    public int GroupSize { get; }

    /// <inheritdoc/>
    public int Gates { get; }

    /// <summary>The dense launches, for the cell's parameter gradients.</summary>
    public DenseLaunches Dense => dense;

    /// <summary>
    /// A forward: the call checks; y [B,T,H], each final state [B,H], x [B,T,I], each initial state [B,H] or empty, the
    /// weights; with <see cref="RecurrentCellOptions.CheckFinite"/>, x, the initial states and the weights; then the input
    /// projection W_x x_t + bias for all steps into the workspace, the sweep (on the group schedule after copying W_h
    /// column-major) and the record of the forward for the backward.
    /// </summary>
    /// <param name="layer">The layer (recorded in the workspace).</param>
    /// <param name="stream">The call's stream.</param>
    /// <param name="workspace">The call's workspace.</param>
    /// <param name="batch">B.</param>
    /// <param name="time">T.</param>
    /// <param name="y">Out [B,T,H].</param>
    /// <param name="finalStates">Out: the final states by name, each [B,H].</param>
    /// <param name="x">In [B,T,I].</param>
    /// <param name="initialStates">In: the initial states by name, each [B,H] or empty.</param>
    /// <param name="weights">The weights.</param>
    /// <param name="bias">The input projection's bias [GH], or null for none (zeros).</param>
    /// <param name="arguments">The forward sweep's arguments, given which initial states were passed.</param>
    /// <param name="withColumns">The arguments with the column-major copy of W_h set (the group sweep reads it).</param>
    public void Forward(object layer, AcceleratorStream stream, GatedCellWorkspace workspace, int batch, int time,
        ArrayView<float> y, (ArrayView<float> View, string Name)[] finalStates, ArrayView<float> x,
        (ArrayView<float> View, string Name)[] initialStates, GatedCellWeights weights, ArrayView<float>? bias,
        Func<bool[], TForward> arguments, Func<TForward, ArrayView<float>, TForward> withColumns)
    {
        skeleton.ThrowIfDisposed();
        CheckCall(stream, workspace, batch, time);
        int H = options.HiddenSize, I = options.InputSize;
        long bh = (long)batch * H;
        ViewChecks.Required(y, nameof(y), (long)batch * time * H, $"[B={batch},T={time},H={H}]", Accelerator);
        foreach (var (view, name) in finalStates)
            ViewChecks.Required(view, name, bh, $"[B={batch},H={H}]", Accelerator);
        ViewChecks.Required(x, nameof(x), (long)batch * time * I, $"[B={batch},T={time},I={I}]", Accelerator);
        var hasInitial = initialStates.Select(s => ViewChecks.Optional(s.View, s.Name, bh, $"[B={batch},H={H}]", Accelerator)).ToArray();
        CheckWeights("", weights);
        if (options.CheckFinite)
            skeleton.ThrowIfNotFinite(stream, [(x, nameof(x)), .. initialStates, .. weights.Named]);

        int rows = Gates * H;
        dense.Project(stream, batch * time, rows, I, workspace.Shared.Projection, x, weights.WX, bias ?? zeroBias!.View);

        var args = arguments(hasInitial);
        if (!sweeps.IsGroup)
            sweeps.Forward(stream, batch, GroupConfig(batch), args);
        else
        {
            // The group forward reads W_h column-major (coalesced across a warp, docs/gpu.md §3): copy it first.
            MatrixTranspose.Launch(transpose!, stream, weights.WH, whColumns!.View, rows, H);
            sweeps.Forward(stream, batch, GroupConfig(batch), withColumns(args, whColumns.View));
        }
        workspace.RecordForward(layer, batch, time);
    }

    /// <summary>
    /// A backward: the call checks and that this layer's forward of (batch, time) filled the tape; dx [B,T,I] or empty,
    /// each initial-state gradient [B,H] or empty, the gradients (named with a "D"), dy [B,T,H], each final-state gradient
    /// [B,H] or empty, x, the weights; with <see cref="RecurrentCellOptions.CheckFinite"/>, dy and the final-state
    /// gradients; then the reverse sweep, the cell's parameter gradients and dx from the projection's gradient.
    /// </summary>
    /// <param name="layer">The layer (must be the one that ran the forward).</param>
    /// <param name="stream">The call's stream.</param>
    /// <param name="workspace">The forward's workspace.</param>
    /// <param name="batch">B.</param>
    /// <param name="time">T.</param>
    /// <param name="dx">Out [B,T,I], or empty.</param>
    /// <param name="initialGradients">Out: gradients of the initial states by name, each [B,H] or empty.</param>
    /// <param name="gradients">Out: the weight gradients.</param>
    /// <param name="dy">In [B,T,H].</param>
    /// <param name="finalGradients">In: gradients of the final states by name, each [B,H] or empty.</param>
    /// <param name="x">In [B,T,I].</param>
    /// <param name="weights">The forward's weights.</param>
    /// <param name="arguments">The reverse sweep's arguments, given which initial-state gradients are wanted and which final-state gradients were passed.</param>
    /// <param name="parameterGradients">The cell's parameter-gradient launches, queued after the reverse sweep.</param>
    public void Backward(object layer, AcceleratorStream stream, GatedCellWorkspace workspace, int batch, int time,
        ArrayView<float> dx, (ArrayView<float> View, string Name)[] initialGradients, GatedCellWeights gradients,
        ArrayView<float> dy, (ArrayView<float> View, string Name)[] finalGradients, ArrayView<float> x, GatedCellWeights weights,
        Func<bool[], bool[], TReverse> arguments, Action parameterGradients)
    {
        skeleton.ThrowIfDisposed();
        CheckCall(stream, workspace, batch, time);
        workspace.RequireForward(layer, batch, time);
        int H = options.HiddenSize, I = options.InputSize;
        long bh = (long)batch * H, bti = (long)batch * time * I;
        bool hasDx = ViewChecks.Optional(dx, nameof(dx), bti, $"[B={batch},T={time},I={I}]", Accelerator);
        var hasInitial = initialGradients.Select(s => ViewChecks.Optional(s.View, s.Name, bh, $"[B={batch},H={H}]", Accelerator)).ToArray();
        CheckWeights("D", gradients);
        ViewChecks.Required(dy, nameof(dy), (long)batch * time * H, $"[B={batch},T={time},H={H}]", Accelerator);
        var hasFinal = finalGradients.Select(s => ViewChecks.Optional(s.View, s.Name, bh, $"[B={batch},H={H}]", Accelerator)).ToArray();
        ViewChecks.Required(x, nameof(x), bti, $"[B={batch},T={time},I={I}]", Accelerator);
        CheckWeights("", weights);
        if (options.CheckFinite)
            skeleton.ThrowIfNotFinite(stream, [(dy, nameof(dy)), .. finalGradients]);

        sweeps.Reverse(stream, batch, GroupConfig(batch), arguments(hasInitial, hasFinal));
        parameterGradients();
        dense.InputGradient(stream, hasDx, batch * time, Gates * H, I, dx, workspace.Shared.Projection, weights.WX);
    }

    /// <inheritdoc/>
    public void ThrowIfDisposed() => skeleton.ThrowIfDisposed();

    /// <inheritdoc/>
    public void Close()
    {
        if (!skeleton.Close()) return;
        zeroBias?.Dispose();
        whColumns?.Dispose();
    }

    private KernelConfig GroupConfig(int batch) =>
        SweepKernels<TForward, TReverse>.GroupConfig(batch, GroupSize, groupSharedFloats(options.HiddenSize, GroupSize));

    private void CheckCall(AcceleratorStream stream, GatedCellWorkspace workspace, int batch, int time) =>
        skeleton.CheckCall(stream, workspace, w => w.Hidden == options.HiddenSize, "another hidden size", batch, time);

    /// <summary>The weight tensors or their gradients (names prefixed with <paramref name="prefix"/>), in the record's order.</summary>
    private void CheckWeights(string prefix, GatedCellWeights weights)
    {
        int H = options.HiddenSize, I = options.InputSize, G = Gates * H;
        ViewChecks.Required(weights.WH, prefix + "WH", (long)G * H, $"[{Gates}H={G},H={H}]", Accelerator);
        ViewChecks.Required(weights.WX, prefix + "WX", (long)G * I, $"[{Gates}H={G},I={I}]", Accelerator);
        foreach (var (view, name) in weights.GateVectors)
            ViewChecks.Required(view, prefix + name, G, $"[{Gates}H={G}]", Accelerator);
        foreach (var (view, name) in weights.UnitVectors)
            ViewChecks.Required(view, prefix + name, H, $"[H={H}]", Accelerator);
    }
}
