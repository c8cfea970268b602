using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// The fast-weight RNN layer of Ba et al. 2016 on one ILGPU accelerator: a fused forward (the whole
/// sequence in one launch) and a hand-derived backward that rebuilds the fast-weight matrix A
/// backwards instead of storing it per step.
/// </summary>
/// <remarks>
/// <para>Per sequence, with z = W h + C x_t + b, h_0 = f(z), h_{s+1} = f(LN(z + A h_s)) for s &lt; S,
/// h = h_S, y_t = h, A ← λA + η h hᵀ (docs/design.md §2). Layout: row-major float32; x [B,T,I],
/// h0/hT [B,H], A0/AT [B,H,H], y [B,T,H].</para>
/// <para>All views must live on <see cref="Accelerator"/>. Every argument is validated before any kernel
/// is launched; a rejected call leaves every buffer as it was. Calls are asynchronous on the given
/// stream: nothing waits for the device unless <see cref="FastWeightRnnOptions.CheckFinite"/> is on.</para>
/// <para>Kernels are compiled once, in the constructor, for the chosen schedule.</para>
/// </remarks>
public sealed class FastWeightRnnLayer : IDisposable
{
    private readonly SweepKernels<ForwardSweepArgs, ReverseSweepArgs> sweeps;
    private readonly Action<AcceleratorStream, Index1D, FastWeightReplayArgs> replay;
    private readonly DenseLaunches dense;
    private readonly LayerSkeleton skeleton;
    private readonly Action<AcceleratorStream, Index1D, MatrixTransposeArgs>? transpose;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? wColumns;   // [H,H] group schedule: column-major W (docs/gpu.md §3)
    private AttentionFormRnn? attentionForm; // compiled on the first attention-form workspace, then kept

    /// <summary>Builds the layer and compiles its kernels for <paramref name="accelerator"/>.</summary>
    /// <param name="accelerator">Where every buffer and stream passed later must live.</param>
    /// <param name="options">Sizes and hyper-parameters; validated here.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the exception names it).</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public FastWeightRnnLayer(Accelerator accelerator, FastWeightRnnOptions options)
    {
        LayerSkeleton.CheckConstruction(accelerator, options);
        options.Validate();
        Accelerator = accelerator;
        Options = options;
        CheckpointInterval = options.ResolveCheckpointInterval();
        Schedule = options.Schedule.ResolveWithHostFor(accelerator);

        int h = options.HiddenSize;
        sweeps = Schedule == SweepSchedule.Group
            ? new(ForwardSweep.GroupEntry.Load(accelerator), ReverseSweep.GroupEntry.Load(accelerator))
            : Schedule == SweepSchedule.Host
                ? new(ForwardSweep.HostEntry.Load(accelerator), ReverseSweep.HostEntry.Load(accelerator))
                : new(ForwardSweep.ThreadEntry.Load(accelerator), ReverseSweep.ThreadEntry.Load(accelerator));
        if (sweeps.IsGroup)
        {
            transpose = MatrixTranspose.Entry.Load(accelerator);
            wColumns = accelerator.Allocate1D<float>((long)h * h);
        }
        GroupSize = sweeps.GroupSize(accelerator, h);
        // 48 KiB (the CUDA default), or on CUDA with the group schedule the device's opt-in maximum
        // (227 KiB on an H100); the CPU accelerator keeps 48 KiB. docs/design.md §6.2.
        long sharedLimit = SharedMemoryBudget.GroupLimit(accelerator.MaxSharedMemoryPerGroup,
            Schedule == SweepSchedule.Group ? CudaSharedMemory.OptInLimit(accelerator) : 0);
        var sharedPlan = FastWeightSharedMemory.Plan(h, GroupSize, sharedLimit);
        bool forwardOnChip = sharedPlan.ForwardFastWeightsOnChip, reverseOnChip = sharedPlan.ReverseFastWeightsOnChip;
        if (Schedule == SweepSchedule.Group && !sharedPlan.VectorsFit)
            throw VectorsTooLarge(accelerator, h, sharedLimit);

        if (sweeps.IsGroup)
        {
            // Above 48 KiB a CUDA kernel must be opted in; if that is refused, the matrices go to global memory.
            // Off CUDA, and at or below 48 KiB, Allow is true without any call.
            forwardOnChip = forwardOnChip
                && CudaSharedMemory.Allow(accelerator, sweeps.ForwardGroup!, FastWeightSharedMemory.ForwardBytes(h, GroupSize, true));
            reverseOnChip = reverseOnChip
                && CudaSharedMemory.Allow(accelerator, sweeps.ReverseGroup!, FastWeightSharedMemory.ReverseBytes(h, GroupSize, true));
            if (!CudaSharedMemory.Allow(accelerator, sweeps.ForwardGroup!, FastWeightSharedMemory.ForwardBytes(h, GroupSize, false))
                || !CudaSharedMemory.Allow(accelerator, sweeps.ReverseGroup!, FastWeightSharedMemory.ReverseBytes(h, GroupSize, false)))
                throw VectorsTooLarge(accelerator, h, SharedMemoryBudget.DefaultLimit);
        }
        ForwardFastWeightsOnChip = forwardOnChip;
        ReverseFastWeightsOnChip = reverseOnChip;
        replay = FastWeightReplay.Entry.Load(accelerator);
        dense = new DenseLaunches(accelerator, InputProjection.Entry.Load(accelerator),
            ParameterGradients.OuterProductSumEntry.Load(accelerator), ParameterGradients.InputGradientEntry.Load(accelerator),
            ParameterGradients.VectorGradientEntry.Load(accelerator));
        skeleton = new LayerSkeleton(accelerator, nameof(FastWeightRnnLayer), FiniteCheck.Entry.Load(accelerator), FiniteSlots);
    }

    /// <summary>The accelerator every buffer must live on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The options the layer was built with.</summary>
    public FastWeightRnnOptions Options { get; }

    /// <summary>The schedule in use (<see cref="SweepSchedule.Auto"/> resolved).</summary>
    public SweepSchedule Schedule { get; }

    /// <summary>K: steps between stored copies of A.</summary>
    public int CheckpointInterval { get; }

    /// <summary>Threads per group of the group schedule (a multiple of the warp size, at most what both compiled group sweeps allow: on CUDA their registers, elsewhere the device's maximum; above it a thread takes rows k, k + G, …).</summary>
    public int GroupSize { get; }

    /// <summary>Whether the group schedule's forward keeps A in shared memory (else in global memory).</summary>
    public bool ForwardFastWeightsOnChip { get; }

    /// <summary>Whether the group schedule's backward keeps A and Ā in shared memory (else in global memory).</summary>
    public bool ReverseFastWeightsOnChip { get; }

    /// <summary>
    /// Bytes of device memory a workspace for (B, T) takes with these options: exactly what
    /// <see cref="CreateWorkspace"/> allocates.
    /// </summary>
    /// <param name="batch">B ≥ 1.</param>
    /// <param name="time">T ≥ 1.</param>
    public long WorkspaceBytes(int batch, int time)
    {
        var plan = Plan(batch, time);
        return ResolveForm(time) == FastWeightForm.Attention
            ? AttentionFormRnn.Elements(batch, time, Options.HiddenSize, Options.InnerSteps) * sizeof(float)
            : plan.TotalBytes;
    }

    /// <summary>
    /// The form a workspace for sequences of up to <paramref name="maxTime"/> steps runs: <see cref="FastWeightRnnOptions.Form"/>
    /// when it is not Auto, else <see cref="FormPolicy.Resolve"/> for this accelerator and schedule; always the matrix form
    /// under a memory budget (<see cref="FastWeightRnnOptions.HasCheckpointBudget"/>).
    /// </summary>
    /// <param name="maxTime">T ≥ 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxTime"/> &lt; 1.</exception>
    public FastWeightForm ResolveForm(int maxTime) => Options.HasCheckpointBudget
        ? FormPolicy.Resolve(FastWeightForm.Matrix, Accelerator.AcceleratorType, Schedule, Options.HiddenSize, maxTime)
        : FormPolicy.Resolve(Options.Form, Accelerator.AcceleratorType, Schedule, Options.HiddenSize, maxTime);

    /// <summary>
    /// Bytes of device memory one training call of the matrix form (<see cref="FastWeightForm.Matrix"/>) needs for (B, T, I, H, S, λ) with the derived K:
    /// O(B·H²·(T/K + 3) + B·T·S·H). I does not enter (x and dx are the caller's buffers); it is a
    /// parameter so the signature names every size of the layer.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or λ is not in (0, 1].</exception>
    public static long WorkspaceBytes(int batch, int time, int input, int hidden, int innerSteps, double decay)
    {
        CheckSizes(batch, time, input, hidden, innerSteps);
        int interval = CheckpointPolicy.Interval(decay);
        CheckCheckpointSpan(time, interval);
        return new WorkspacePlan(batch, time, hidden, innerSteps, interval).TotalBytes;
    }

    /// <summary>
    /// Bytes of device memory one training call of the matrix form needs for (B, T) with every option of <paramref name="options"/>
    /// (K, <see cref="FastWeightRnnOptions.MemoryBudgetBytes"/>, <see cref="FastWeightRnnOptions.MaxCheckpointCopies"/>):
    /// exactly what a layer built with them allocates in <see cref="CreateWorkspace"/> when it runs the matrix form (always,
    /// under a budget; see <see cref="ResolveForm"/>), at most the budget.
    /// </summary>
    /// <param name="options">The layer's options; validated here.</param>
    /// <param name="batch">B ≥ 1.</param>
    /// <param name="time">T ≥ 1.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size or option is out of range, or the budget is below the
    /// smallest schedule's need (the message names the minimum).</exception>
    public static long WorkspaceBytes(FastWeightRnnOptions options, int batch, int time) => WorkspacePlanFor(options, batch, time).TotalBytes;

    /// <summary>
    /// The buffers behind <see cref="WorkspaceBytes(FastWeightRnnOptions,int,int)"/>: what a layer built with
    /// <paramref name="options"/> allocates for (B, T), including how many copies of A a budget leaves
    /// (<see cref="WorkspacePlan.CheckpointCount"/>).
    /// </summary>
    /// <param name="options">The layer's options; validated here.</param>
    /// <param name="batch">B ≥ 1.</param>
    /// <param name="time">T ≥ 1.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size or option is out of range, or the budget is below the
    /// smallest schedule's need (the message names the minimum).</exception>
    public static WorkspacePlan WorkspacePlanFor(FastWeightRnnOptions options, int batch, int time)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return PlanFor(options, options.ResolveCheckpointInterval(), batch, time);
    }

    /// <summary>
    /// Bytes the same call would take if A were stored for every step (K = 1), as an autograd framework
    /// does: the baseline <see cref="WorkspaceBytes(int,int,int,int,int,double)"/> is compared with.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or λ is not in (0, 1].</exception>
    public static long StoreAllBytes(int batch, int time, int input, int hidden, int innerSteps, double decay)
    {
        CheckSizes(batch, time, input, hidden, innerSteps);
        CheckpointPolicy.Interval(decay);
        CheckCheckpointSpan(time, 1);
        return new WorkspacePlan(batch, time, hidden, innerSteps, 1).TotalBytes;
    }

    /// <summary>
    /// Allocates a workspace for batches of up to <paramref name="maxBatch"/> sequences of up to <paramref name="maxTime"/> steps:
    /// <see cref="WorkspaceBytes(int,int)"/> bytes, within <see cref="FastWeightRnnOptions.MemoryBudgetBytes"/> when set.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1, or the budget is below what the smallest
    /// checkpoint plan needs for (maxBatch, maxTime); the exception names the option and the minimum.</exception>
    /// <exception cref="ObjectDisposedException">The layer is disposed.</exception>
    public FastWeightRnnWorkspace CreateWorkspace(int maxBatch, int maxTime)
    {
        skeleton.ThrowIfDisposed();
        LayerSkeleton.CheckWorkspaceRequest(maxBatch, maxTime);
        var plan = Plan(maxBatch, maxTime);
        if (ResolveForm(maxTime) == FastWeightForm.Attention)
            return new FastWeightRnnWorkspace(Accelerator, plan, AttentionForm().CreateWorkspace(maxBatch, maxTime));
        return new FastWeightRnnWorkspace(Accelerator, plan);
    }

    /// <summary>
    /// Runs the layer over <paramref name="time"/> steps of <paramref name="batch"/> sequences and stores
    /// in <paramref name="workspace"/> what <see cref="Backward"/> needs.
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/> the kernels are queued on.</param>
    /// <param name="workspace">From <see cref="CreateWorkspace"/>, with capacity ≥ (batch, time).</param>
    /// <param name="y">Out [B,T,H]: h after every step. Overwritten.</param>
    /// <param name="hT">Out [B,H]: h after the last step. Overwritten. May be the same view as <paramref name="h0"/>.</param>
    /// <param name="aT">Out [B,H,H]: A after the last step. Overwritten. May be the same view as <paramref name="a0"/>.
    /// Passing (hT, AT) as the next call's (h0, A0) continues the sequence exactly.</param>
    /// <param name="x">In [B,T,I].</param>
    /// <param name="h0">In [B,H], or an empty view for zeros.</param>
    /// <param name="a0">In [B,H,H], or an empty view for zeros.</param>
    /// <param name="parameters">W, C, b, g, β.</param>
    /// <param name="batch">B ≥ 1.</param>
    /// <param name="time">T ≥ 1.</param>
    /// <exception cref="ArgumentException">A view has the wrong length, is missing, or lives on another accelerator;
    /// or (with <see cref="FastWeightRnnOptions.CheckFinite"/>) an input holds NaN/Inf. The message names the argument.</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time &lt; 1, or larger than the workspace.</exception>
    /// <exception cref="ObjectDisposedException">The layer, workspace, stream or a buffer is disposed.</exception>
    public void Forward(AcceleratorStream stream, FastWeightRnnWorkspace workspace,
        ArrayView<float> y, ArrayView<float> hT, ArrayView<float> aT,
        ArrayView<float> x, ArrayView<float> h0, ArrayView<float> a0,
        FastWeightRnnParameters parameters, int batch, int time)
    {
        skeleton.ThrowIfDisposed();
        CheckCall(stream, workspace, batch, time);
        var (hasH0, hasA0) = FastWeightRnnViews.CheckForward(Accelerator, Options, y, hT, aT, x, h0, a0, parameters, batch, time);
        int H = Options.HiddenSize, I = Options.InputSize;
        if (Options.CheckFinite)
            skeleton.ThrowIfNotFinite(stream,
                (x, nameof(x)), (h0, nameof(h0)), (a0, nameof(a0)), (parameters.W, "W"), (parameters.C, "C"),
                (parameters.B, "B"), (parameters.LnGain, "LnGain"), (parameters.LnBias, "LnBias"));

        if (workspace.Attention is { } attentionWorkspace)
        {
            AttentionForm().ForwardUnchecked(stream, attentionWorkspace, y, hT, aT, x, h0, a0, parameters, batch, time, hasH0, hasA0);
            workspace.RecordForward(this, batch, time);
            return;
        }

        dense.Project(stream, batch * time, H, I, workspace.Buffers.Projection, x, parameters.C, parameters.B);

        // As many copies of A as the workspace holds; with every K-step copy there, the plan of the layer without a budget.
        var schedule = CheckpointPlan.For(time, CheckpointInterval, workspace.Plan.CheckpointCount);
        var args = SweepArguments(workspace, parameters, batch, time, schedule.StoreInterval, schedule.PersistentSlots, ForwardFastWeightsOnChip) with
        {
            HasH0 = hasH0 ? 1 : 0, HasA0 = hasA0 ? 1 : 0, LnEps = (float)Options.LayerNormEpsilon,
            Projection = workspace.Buffers.Projection, WColumns = parameters.W, LnBias = parameters.LnBias,
            H0 = hasH0 ? h0 : workspace.Buffers.Vectors, A0 = hasA0 ? a0 : workspace.Buffers.Vectors,
            Y = y, HT = hT, AT = aT,
        };
        var config = GroupConfig(batch, ForwardSweep.GroupSharedFloats(H, GroupSize, ForwardFastWeightsOnChip));
        if (!sweeps.IsGroup)
            sweeps.Forward(stream, batch, config, args);
        else
        {
            // The group forward reads W down its columns from a column-major copy, made here once per call (docs/gpu.md §3).
            MatrixTranspose.Launch(transpose!, stream, parameters.W, wColumns!.View, H, H);
            sweeps.Forward(stream, batch, config, args with { WColumns = wColumns.View, WColumnMajor = 1 });
        }
        workspace.RecordForward(this, batch, time);
        workspace.CheckpointPlan = schedule;
    }

    /// <summary>
    /// Gradients of a scalar loss L given dL/dy, dL/dhT and dL/dAT, for the inputs and parameters of the
    /// last <see cref="Forward"/> run with <paramref name="workspace"/>. x and the parameters must be the
    /// ones that forward saw (they are read again, not copied).
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="workspace">The workspace the matching forward used.</param>
    /// <param name="dx">Out [B,T,I], or empty if not wanted. Overwritten.</param>
    /// <param name="dh0">Out [B,H], or empty. Overwritten.</param>
    /// <param name="dA0">Out [B,H,H], or empty. Overwritten.</param>
    /// <param name="gradients">Out: dW, dC, db, dg, dβ. Overwritten (summed over the batch in a fixed order: bit-identical run to run).</param>
    /// <param name="dy">In [B,T,H].</param>
    /// <param name="dhT">In [B,H], or empty for zeros.</param>
    /// <param name="dAT">In [B,H,H], or empty for zeros.</param>
    /// <param name="x">In [B,T,I]: the forward's input.</param>
    /// <param name="parameters">The forward's parameters.</param>
    /// <param name="batch">B, as in the forward.</param>
    /// <param name="time">T, as in the forward.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere; or a NaN/Inf
    /// (with <see cref="FastWeightRnnOptions.CheckFinite"/>). The message names the argument.</exception>
    /// <exception cref="InvalidOperationException">No forward of this (batch, time) ran with this workspace.</exception>
    /// <exception cref="ObjectDisposedException">The layer, workspace, stream or a buffer is disposed.</exception>
    public void Backward(AcceleratorStream stream, FastWeightRnnWorkspace workspace,
        ArrayView<float> dx, ArrayView<float> dh0, ArrayView<float> dA0, FastWeightRnnParameterGradients gradients,
        ArrayView<float> dy, ArrayView<float> dhT, ArrayView<float> dAT,
        ArrayView<float> x, FastWeightRnnParameters parameters, int batch, int time)
    {
        skeleton.ThrowIfDisposed();
        CheckCall(stream, workspace, batch, time);
        workspace.RequireForward(this, batch, time);
        var (hasDx, hasDh0, hasDA0, hasDhT, hasDAT) =
            FastWeightRnnViews.CheckBackward(Accelerator, Options, dx, dh0, dA0, gradients, dy, dhT, dAT, x, parameters, batch, time);
        int H = Options.HiddenSize, I = Options.InputSize;
        long bhh = (long)batch * H * H;
        if (Options.CheckFinite)
            skeleton.ThrowIfNotFinite(stream, (dy, nameof(dy)), (dhT, nameof(dhT)), (dAT, nameof(dAT)));

        if (workspace.Attention is { } attentionWorkspace)
        {
            AttentionForm().BackwardUnchecked(stream, attentionWorkspace, dx, dh0, dA0, gradients, dy, dhT, dAT, x, parameters, batch, time,
                new(hasDx, hasDh0, hasDA0, hasDhT, hasDAT));
            return;
        }

        var schedule = workspace.CheckpointPlan!;
        var args = new ReverseSweepArgs
        {
            Forward = SweepArguments(workspace, parameters, batch, time, CheckpointInterval, schedule.PersistentSlots, ReverseFastWeightsOnChip),
            WindowStart = 0, WindowEnd = time, AnchorSlot = -1,
            HasDhT = hasDhT ? 1 : 0, HasDAT = hasDAT ? 1 : 0, HasDh0 = hasDh0 ? 1 : 0, HasDA0 = hasDA0 ? 1 : 0,
            Dy = dy, DhT = hasDhT ? dhT : workspace.Buffers.Vectors, DAT = hasDAT ? dAT : workspace.Buffers.Vectors,
            Rebuild = workspace.Buffers.Rebuild, FastWeightGrad = workspace.Buffers.FastWeightGrad, Dz = workspace.Buffers.Projection,
            LayerNormGrad = workspace.Buffers.LayerNormGrad,
            DH0 = hasDh0 ? dh0 : workspace.Buffers.Vectors, DA0 = hasDA0 ? dA0 : workspace.Buffers.Vectors,
        };
        long recomputed = 0;
        if (schedule.IsSingleSweep)
            Reverse(stream, batch, args);
        else
        {
            int replayBlock = ElementBlocks.For(Accelerator, bhh);
            foreach (var op in schedule.Operations)
            {
                if (op.Kind == CheckpointOperationKind.Replay)
                {
                    var replayArgs = new FastWeightReplayArgs
                    {
                        Batch = batch, Time = time, Hidden = H, Block = replayBlock,
                        FromStep = op.FromAnchor * CheckpointInterval, ToStep = op.ToAnchor * CheckpointInterval,
                        SourceSlot = op.SourceSlot, TargetSlot = op.TargetSlot,
                        Decay = (float)Options.Decay, FastLr = (float)Options.FastLearningRate,
                        States = workspace.Buffers.States, Checkpoints = workspace.Buffers.Checkpoints,
                    };
                    replay(stream, (Index1D)ElementBlocks.Threads(bhh, replayBlock), replayArgs);
                    recomputed += replayArgs.ToStep - replayArgs.FromStep;
                }
                else
                {
                    int start = op.FromAnchor * CheckpointInterval;
                    Reverse(stream, batch, args with
                    {
                        WindowStart = start, WindowEnd = (int)Math.Min((long)start + CheckpointInterval, time), AnchorSlot = op.SourceSlot,
                    });
                }
            }
        }
        workspace.RecomputedSteps = recomputed;

        dense.ProjectionGradients(stream, batch, time, H, I, gradients.DW, gradients.DC, gradients.DB, gradients.DLnGain,
            gradients.DLnBias, hasDx, dx, workspace.Buffers.Projection, workspace.Buffers.States, workspace.Buffers.LayerNormGrad, x, parameters.C);
    }

    /// <summary>
    /// The parameter set both sweeps read (the reverse's extends it): sizes, options, W, g, the tape in
    /// <paramref name="workspace"/> and copies of A every <paramref name="interval"/> steps in <paramref name="slots"/> slots.
    /// </summary>
    private ForwardSweepArgs SweepArguments(FastWeightRnnWorkspace workspace, FastWeightRnnParameters parameters, int batch, int time,
        int interval, int slots, bool fastWeightsOnChip) => new()
    {
        Batch = batch, Time = time, Hidden = Options.HiddenSize, InnerSteps = Options.InnerSteps,
        CheckpointInterval = interval, CheckpointCount = slots, Activation = (int)Options.Activation,
        FastWeightsOnChip = fastWeightsOnChip ? 1 : 0, LayerNorm = Options.LayerNorm ? 1 : 0,
        Decay = (float)Options.Decay, FastLr = (float)Options.FastLearningRate,
        W = parameters.W, LnGain = parameters.LnGain,
        States = workspace.Buffers.States, InnerStates = workspace.Buffers.InnerStates, Normalized = workspace.Buffers.Normalized,
        InverseStd = workspace.Buffers.InverseStd, Checkpoints = workspace.Buffers.Checkpoints, Vectors = workspace.Buffers.Vectors,
    };

    private AttentionFormRnn AttentionForm() => attentionForm ??= new AttentionFormRnn(Accelerator, Options);

    private void Reverse(AcceleratorStream stream, int batch, ReverseSweepArgs args)
    {
        sweeps.Reverse(stream, batch, GroupConfig(batch, ReverseSweep.GroupSharedFloats(Options.HiddenSize, GroupSize, ReverseFastWeightsOnChip)), args);
    }

    private const int FiniteSlots = 16;

    private ArgumentOutOfRangeException VectorsTooLarge(Accelerator accelerator, int h, long sharedLimit) =>
        new("options",
            $"HiddenSize {h} is too large for the group schedule on '{accelerator.Name}': its vectors alone need "
            + $"{FastWeightSharedMemory.ForwardBytes(h, GroupSize, false)} bytes of shared memory (limit {sharedLimit}). Use SweepSchedule.Thread.");

    private KernelConfig GroupConfig(int batch, int sharedFloats) =>
        SweepKernels<ForwardSweepArgs, ReverseSweepArgs>.GroupConfig(batch, GroupSize, sharedFloats);

    private WorkspacePlan Plan(int batch, int time) => PlanFor(Options, CheckpointInterval, batch, time);

    private static WorkspacePlan PlanFor(FastWeightRnnOptions options, int interval, int batch, int time)
    {
        CheckSizes(batch, time, options.InputSize, options.HiddenSize, options.InnerSteps);
        CheckCheckpointSpan(time, interval);
        return WorkspacePlan.Budgeted(batch, time, options.HiddenSize, options.InnerSteps, interval,
            options.MemoryBudgetBytes, options.MaxCheckpointCopies);
    }

    private static void CheckSizes(int batch, int time, int input, int hidden, int innerSteps)
    {
        LayerSkeleton.CheckSizes(batch, time, input, hidden);
        ViewChecks.Positive(innerSteps, nameof(innerSteps));
        if ((long)hidden * hidden > int.MaxValue / 4)
            throw new ArgumentOutOfRangeException(nameof(hidden), hidden, "H² must fit a 32-bit index.");
        // Kernels index rows of [B·T·max(H,I)] with 32-bit thread indices.
        if ((long)batch * time * Math.Max(hidden, input) > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, "B·T·max(H, I) must be below 2³¹.");
    }

    /// <summary>The checkpoint count (T + K − 1)/K + 1 is computed in 32 bits: a huge K overflowed it to 0 copies of A.</summary>
    private static void CheckCheckpointSpan(int time, int interval)
    {
        if ((long)time + interval > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(time), time,
                $"time + CheckpointInterval (K = {interval}) must be below 2³¹; K need never exceed time.");
    }

    private void CheckCall(AcceleratorStream stream, FastWeightRnnWorkspace workspace, int batch, int time) =>
        skeleton.CheckCall(stream, workspace, w => w.Plan.Hidden == Options.HiddenSize && w.Plan.InnerSteps == Options.InnerSteps
            && w.Plan.CheckpointInterval == CheckpointInterval, "other sizes", batch, time);

    /// <summary>Frees the layer's own device memory (a few bytes of flags; with the group schedule, the H×H column-major copy of W). Kernels are owned by the accelerator. Safe to call twice.</summary>
    public void Dispose()
    {
        if (skeleton.IsDisposed) return;
        attentionForm?.Dispose();
        skeleton.Close();
        wColumns?.Dispose();
    }
}
