using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.LinearFastWeights;

/// <summary>
/// The linear-transformer fast-weight memory of Schlag, Irie and Schmidhuber 2021 on one ILGPU accelerator: per
/// head, a matrix W ∈ R^{m×d'} written with the sum or the delta rule and read with φ(q); a fused forward (the whole
/// sequence, every head, one launch) and a hand-derived backward that rebuilds W backwards by subtracting each step's
/// increment instead of storing W per step, re-anchored on a stored copy of W where writes expand W
/// (docs/linear-fast-weights.md §4).
/// </summary>
/// <remarks>
/// <para>Per (sequence, head), starting at W0 (default 0) and z0 (default 0), for t = 1..T (docs/linear-fast-weights.md §1):
/// sum rule W ← W + v_t φ(k_t)ᵀ, z ← z + φ(k_t); delta rule v̄ = W φ̃(k_t), W ← W + σ(β_t)(v_t − v̄) φ̃(k_t)ᵀ;
/// y_t = W φ̃(q_t), divided by zᵀφ(q_t) + ε for the normalised sum rule. φ̃ = φ/(Σφ + ε) for the normalised delta
/// rule, φ otherwise.</para>
/// <para>Layout: row-major float32; q, k [B,T,heads,d]; v, y [B,T,heads,m]; β [B,T,heads] (logits; σ is applied
/// here); W0, WT [B,heads,m,d']; z0, zT [B,heads,d']. All views must live on <see cref="Accelerator"/>. Every
/// argument is validated before any kernel is launched; a rejected call leaves every buffer as it was. Calls are
/// asynchronous on the given stream unless <see cref="LinearFastWeightOptions.CheckFinite"/> is on.</para>
/// <para>Kernels are compiled once, in the constructor, for the chosen schedule.</para>
/// </remarks>
public sealed class LinearFastWeightLayer : IDisposable
{
    private readonly SweepKernels<LinearSweepArgs, LinearSweepArgs> sweeps;
    private readonly LayerSkeleton skeleton;

    /// <summary>Builds the layer and compiles its kernels for <paramref name="accelerator"/>.</summary>
    /// <param name="accelerator">Where every buffer and stream passed later must live.</param>
    /// <param name="options">Sizes and choices; validated here.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the exception names it), or the group
    /// schedule's vectors do not fit the device's shared memory (named "options").</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public LinearFastWeightLayer(Accelerator accelerator, LinearFastWeightOptions options)
    {
        LayerSkeleton.CheckConstruction(accelerator, options);
        options.Validate();
        Accelerator = accelerator;
        Options = options;
        FeatureSize = options.FeatureSize();
        Schedule = options.Schedule.ResolveFor(accelerator);

        sweeps = Schedule == SweepSchedule.Group
            ? new(LinearForwardSweep.GroupEntry.Load(accelerator), LinearReverseSweep.GroupEntry.Load(accelerator))
            : new(LinearForwardSweep.ThreadEntry.Load(accelerator), LinearReverseSweep.ThreadEntry.Load(accelerator));
        // Threads of a group share the rows (m) and the columns (d') of W, so the group covers the larger of the two.
        GroupSize = sweeps.GroupSize(accelerator, Math.Max(options.ValueSize, FeatureSize));
        if (sweeps.IsGroup)
        {
            // Only vectors live in shared memory (W and G stay in global memory), so the 48 KiB every CUDA device gives
            // without an opt-in suffices up to d' ≈ 2500; no opt-in is attempted.
            long sharedBytes = 4L * LinearForwardSweep.GroupSharedFloats(GroupSize, FeatureSize, options.ValueSize);
            long sharedLimit = SharedMemoryBudget.GroupLimit(accelerator.MaxSharedMemoryPerGroup, 0);
            if (sharedBytes > sharedLimit)
                throw new ArgumentOutOfRangeException(nameof(options),
                    $"m = {options.ValueSize}, d' = {FeatureSize} need {sharedBytes} bytes of shared memory per group for the group schedule; "
                    + $"the limit on '{accelerator.Name}' is {sharedLimit}. Use SweepSchedule.Thread.");
        }
        skeleton = new LayerSkeleton(accelerator, nameof(LinearFastWeightLayer), FiniteCheck.Entry.Load(accelerator), FiniteSlots);
    }

    /// <summary>The accelerator every buffer must live on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The options the layer was built with.</summary>
    public LinearFastWeightOptions Options { get; }

    /// <summary>d', the size of φ(k) and φ(q) (the number of columns of W).</summary>
    public int FeatureSize { get; }

    /// <summary>The schedule in use (<see cref="SweepSchedule.Auto"/> resolved).</summary>
    public SweepSchedule Schedule { get; }

    /// <summary>Threads per group of the group schedule: max(m, d') rounded up to the warp size, at most what both compiled group sweeps allow (on CUDA their registers, elsewhere the device's maximum).</summary>
    public int GroupSize { get; }

    /// <summary>Bytes of device memory a workspace for (B, T) takes with these options: exactly what <see cref="CreateWorkspace"/> allocates.</summary>
    /// <param name="batch">B ≥ 1.</param>
    /// <param name="time">T ≥ 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or too large for 32-bit indices.</exception>
    public long WorkspaceBytes(int batch, int time) => WorkspaceBytes(Options, batch, time);

    /// <summary>
    /// Bytes of device memory one training call with <paramref name="options"/> needs for (B, T):
    /// O(B·heads·m·d') + O(B·T·heads·(m + 1)); with <see cref="LinearFastWeightOptions.StoreAll"/> also B·heads·T·m·d'.
    /// </summary>
    /// <param name="options">The layer's options (validated here).</param>
    /// <param name="batch">B ≥ 1.</param>
    /// <param name="time">T ≥ 1.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option or size is out of range.</exception>
    public static long WorkspaceBytes(LinearFastWeightOptions options, int batch, int time)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CheckSizes(options, batch, time);
        return new LinearWorkspacePlan(batch, time, options).TotalBytes;
    }

    /// <summary>
    /// Bytes the same call takes with the store-all baseline (W stored before every step, as an autograd framework
    /// keeps it): <see cref="WorkspaceBytes(LinearFastWeightOptions,int,int)"/> with <see cref="LinearFastWeightOptions.StoreAll"/> on.
    /// </summary>
    /// <param name="options">The layer's options (validated here).</param>
    /// <param name="batch">B ≥ 1.</param>
    /// <param name="time">T ≥ 1.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option or size is out of range.</exception>
    public static long StoreAllBytes(LinearFastWeightOptions options, int batch, int time)
    {
        ArgumentNullException.ThrowIfNull(options);
        return WorkspaceBytes(options with { StoreAll = true }, batch, time);
    }

    /// <summary>Allocates a workspace for batches of up to <paramref name="maxBatch"/> sequences of up to <paramref name="maxTime"/> steps.</summary>
    /// <param name="maxBatch">Largest B ≥ 1.</param>
    /// <param name="maxTime">Largest T ≥ 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or too large.</exception>
    /// <exception cref="ObjectDisposedException">The layer is disposed.</exception>
    public LinearFastWeightWorkspace CreateWorkspace(int maxBatch, int maxTime)
    {
        skeleton.ThrowIfDisposed();
        LayerSkeleton.CheckWorkspaceRequest(maxBatch, maxTime);
        CheckSizes(Options, maxBatch, maxTime);
        return new LinearFastWeightWorkspace(Accelerator, new LinearWorkspacePlan(maxBatch, maxTime, Options), Options);
    }

    /// <summary>
    /// Runs the memory over <paramref name="time"/> steps of <paramref name="batch"/> sequences, every head, and keeps in
    /// <paramref name="workspace"/> what <see cref="Backward"/> needs.
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/> the kernels are queued on.</param>
    /// <param name="workspace">From <see cref="CreateWorkspace"/>, with capacity ≥ (batch, time).</param>
    /// <param name="y">Out [B,T,heads,m]: the retrieved (normalised) values. Overwritten.</param>
    /// <param name="wT">Out [B,heads,m,d']: W after the last step. Overwritten. May be the same view as <paramref name="w0"/>.</param>
    /// <param name="zT">Out [B,heads,d']: z after the last step, or empty if not wanted. Only with the normalised sum rule
    /// (<see cref="LinearFastWeightOptions.KeepsNormalizer"/>); otherwise it must be empty. May be the same view as <paramref name="z0"/>.
    /// Passing (wT, zT) as the next call's (w0, z0) continues the sequences exactly.</param>
    /// <param name="q">In [B,T,heads,d]: queries.</param>
    /// <param name="k">In [B,T,heads,d]: keys.</param>
    /// <param name="v">In [B,T,heads,m]: values.</param>
    /// <param name="beta">In [B,T,heads]: write-strength logits (σ applied here). Delta rule only; must be empty for the sum rule.</param>
    /// <param name="w0">In [B,heads,m,d'], or empty for zeros.</param>
    /// <param name="z0">In [B,heads,d'], or empty for zeros. Only with the normalised sum rule; otherwise it must be empty.</param>
    /// <param name="batch">B ≥ 1.</param>
    /// <param name="time">T ≥ 1, below 2²⁴.</param>
    /// <exception cref="ArgumentException">A view has the wrong length, is missing, is given where it is unused, or lives on
    /// another accelerator; or (with <see cref="LinearFastWeightOptions.CheckFinite"/>) an input holds NaN/Inf. The message names the argument.</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time &lt; 1, or larger than the workspace (whose T is below 2²⁴).</exception>
    /// <exception cref="ObjectDisposedException">The layer, workspace, stream or a buffer is disposed.</exception>
    public void Forward(AcceleratorStream stream, LinearFastWeightWorkspace workspace,
        ArrayView<float> y, ArrayView<float> wT, ArrayView<float> zT,
        ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<float> beta,
        ArrayView<float> w0, ArrayView<float> z0, int batch, int time)
    {
        skeleton.ThrowIfDisposed();
        CheckCall(stream, workspace, batch, time);
        var shapes = new Shapes(batch, time, Options, FeatureSize);
        ViewChecks.Required(y, nameof(y), shapes.Values, shapes.ValuesShape, Accelerator);
        ViewChecks.Required(wT, nameof(wT), shapes.Memory, shapes.MemoryShape, Accelerator);
        bool hasZT = NormalizerView(zT, nameof(zT), shapes);
        CheckInputs(shapes, q, k, v, beta);
        bool hasW0 = ViewChecks.Optional(w0, nameof(w0), shapes.Memory, shapes.MemoryShape, Accelerator);
        bool hasZ0 = NormalizerView(z0, nameof(z0), shapes);
        if (Options.CheckFinite)
            skeleton.ThrowIfNotFinite(stream, (q, nameof(q)), (k, nameof(k)), (v, nameof(v)), (beta, nameof(beta)), (w0, nameof(w0)), (z0, nameof(z0)));

        var args = Arguments(workspace, batch, time, q, k, v, beta);
        args.HasW0 = hasW0 ? 1 : 0;
        args.HasZ0 = hasZ0 ? 1 : 0;
        args.HasZT = hasZT ? 1 : 0;
        args.W0 = hasW0 ? w0 : workspace.Buffers.Vectors;
        args.Z0 = hasZ0 ? z0 : workspace.Buffers.Vectors;
        args.Y = y;
        args.WT = wT;
        args.ZT = hasZT ? zT : workspace.Buffers.Vectors;
        sweeps.Forward(stream, batch * Options.Heads, GroupConfig(batch), args);
        workspace.RecordForward(this, batch, time);
    }

    /// <summary>
    /// Gradients of a scalar loss L given dL/dy, dL/dWT and dL/dzT, for the inputs of the last <see cref="Forward"/> run
    /// with <paramref name="workspace"/>. q, k, v and β must be the ones that forward saw (they are read again, not copied).
    /// </summary>
    /// <remarks>
    /// Memory contract: every gradient output is overwritten (never accumulated into); W and z are recomputed
    /// backwards from the forward's W_T and z_T in the workspace by subtracting each step's increment (rounding:
    /// docs/linear-fast-weights.md §4), or read back from the store-all history. w0 and z0 are read: a column j of W
    /// (and z_j) that no earlier key touched (φ(k_s)_j = 0 for every s ≤ t) is reset to its exact initial value instead
    /// of carrying the subtraction's rounding residue, which a normalised output would divide by zᵀφ(q) + ε ≈ ε. Where the
    /// forward stored an anchor copy of W (writes that expand W, §4) the rebuild reads it instead, which bounds the
    /// rebuilt W_t's error by about 1.2e-5·‖W_t‖₁ for every input. This call waits once for <paramref name="stream"/> to
    /// read the forward's status.
    /// </remarks>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="workspace">The workspace the matching forward used.</param>
    /// <param name="dq">Out [B,T,heads,d]. Overwritten.</param>
    /// <param name="dk">Out [B,T,heads,d]. Overwritten.</param>
    /// <param name="dv">Out [B,T,heads,m]. Overwritten.</param>
    /// <param name="dbeta">Out [B,T,heads]: dL/d(logit). Delta rule: required, overwritten; sum rule: must be empty.</param>
    /// <param name="dw0">Out [B,heads,m,d'], or empty if not wanted. Overwritten.</param>
    /// <param name="dz0">Out [B,heads,d'], or empty. Only with the normalised sum rule; otherwise it must be empty.</param>
    /// <param name="dy">In [B,T,heads,m].</param>
    /// <param name="dwT">In [B,heads,m,d'], or empty for zeros.</param>
    /// <param name="dzT">In [B,heads,d'], or empty for zeros. Only with the normalised sum rule; otherwise it must be empty.</param>
    /// <param name="q">In: the forward's q.</param>
    /// <param name="k">In: the forward's k.</param>
    /// <param name="v">In: the forward's v.</param>
    /// <param name="beta">In: the forward's β (delta rule; empty for the sum rule).</param>
    /// <param name="w0">In: the forward's w0 (or empty for zeros).</param>
    /// <param name="z0">In: the forward's z0 (or empty for zeros); normalised sum rule only.</param>
    /// <param name="batch">B, as in the forward.</param>
    /// <param name="time">T, as in the forward.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length, is given where it is unused, or lives
    /// elsewhere; or a NaN/Inf (with <see cref="LinearFastWeightOptions.CheckFinite"/>). The message names the argument.</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time &lt; 1, or larger than the workspace (whose T is below 2²⁴).</exception>
    /// <exception cref="InvalidOperationException">No forward of this (batch, time) by this layer ran last with this workspace;
    /// or that forward overflowed (W, y or the normaliser not finite: the gradients would be ±∞ or NaN); or it needed more
    /// anchors than the workspace has slots (raise <see cref="LinearFastWeightOptions.MaxAnchors"/>). Nothing is written then.</exception>
    /// <exception cref="ObjectDisposedException">The layer, workspace, stream or a buffer is disposed.</exception>
    public void Backward(AcceleratorStream stream, LinearFastWeightWorkspace workspace,
        ArrayView<float> dq, ArrayView<float> dk, ArrayView<float> dv, ArrayView<float> dbeta,
        ArrayView<float> dw0, ArrayView<float> dz0,
        ArrayView<float> dy, ArrayView<float> dwT, ArrayView<float> dzT,
        ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<float> beta,
        ArrayView<float> w0, ArrayView<float> z0, int batch, int time)
    {
        skeleton.ThrowIfDisposed();
        CheckCall(stream, workspace, batch, time);
        workspace.RequireForward(this, batch, time);
        var shapes = new Shapes(batch, time, Options, FeatureSize);
        ViewChecks.Required(dq, nameof(dq), shapes.Keys, shapes.KeysShape, Accelerator);
        ViewChecks.Required(dk, nameof(dk), shapes.Keys, shapes.KeysShape, Accelerator);
        ViewChecks.Required(dv, nameof(dv), shapes.Values, shapes.ValuesShape, Accelerator);
        RateView(dbeta, nameof(dbeta), shapes);
        bool hasDw0 = ViewChecks.Optional(dw0, nameof(dw0), shapes.Memory, shapes.MemoryShape, Accelerator);
        bool hasDz0 = NormalizerView(dz0, nameof(dz0), shapes);
        ViewChecks.Required(dy, nameof(dy), shapes.Values, shapes.ValuesShape, Accelerator);
        bool hasDwT = ViewChecks.Optional(dwT, nameof(dwT), shapes.Memory, shapes.MemoryShape, Accelerator);
        bool hasDzT = NormalizerView(dzT, nameof(dzT), shapes);
        CheckInputs(shapes, q, k, v, beta);
        bool hasW0 = ViewChecks.Optional(w0, nameof(w0), shapes.Memory, shapes.MemoryShape, Accelerator);
        bool hasZ0 = NormalizerView(z0, nameof(z0), shapes);
        if (Options.CheckFinite)
            skeleton.ThrowIfNotFinite(stream, (dy, nameof(dy)), (dwT, nameof(dwT)), (dzT, nameof(dzT)));
        ThrowIfForwardUnusable(stream, workspace, batch);

        var args = Arguments(workspace, batch, time, q, k, v, beta);
        args.HasW0 = hasW0 ? 1 : 0;
        args.HasZ0 = hasZ0 ? 1 : 0;
        args.W0 = hasW0 ? w0 : workspace.Buffers.Vectors;
        args.Z0 = hasZ0 ? z0 : workspace.Buffers.Vectors;
        args.HasDwT = hasDwT ? 1 : 0;
        args.HasDzT = hasDzT ? 1 : 0;
        args.HasDw0 = hasDw0 ? 1 : 0;
        args.HasDz0 = hasDz0 ? 1 : 0;
        args.Dy = dy;
        args.DwT = hasDwT ? dwT : workspace.Buffers.Vectors;
        args.DzT = hasDzT ? dzT : workspace.Buffers.Vectors;
        args.Dq = dq;
        args.Dk = dk;
        args.Dv = dv;
        args.DBeta = Options.Rule == UpdateRule.Delta ? dbeta : workspace.Buffers.Vectors;
        args.Dw0 = hasDw0 ? dw0 : workspace.Buffers.Vectors;
        args.Dz0 = hasDz0 ? dz0 : workspace.Buffers.Vectors;
        sweeps.Reverse(stream, batch * Options.Heads, GroupConfig(batch), args);
    }

    private const int FiniteSlots = 16;

    /// <summary>Element counts and printable shapes of one call's views.</summary>
    private readonly record struct Shapes(int Batch, int Time, LinearFastWeightOptions Options, int FeatureSize)
    {
        public long Keys => (long)Batch * Time * Options.Heads * Options.KeySize;
        public long Values => (long)Batch * Time * Options.Heads * Options.ValueSize;
        public long Rates => (long)Batch * Time * Options.Heads;
        public long Memory => (long)Batch * Options.Heads * Options.ValueSize * FeatureSize;
        public long Normalizer => (long)Batch * Options.Heads * FeatureSize;
        public string KeysShape => $"[B={Batch},T={Time},heads={Options.Heads},d={Options.KeySize}]";
        public string ValuesShape => $"[B={Batch},T={Time},heads={Options.Heads},m={Options.ValueSize}]";
        public string RatesShape => $"[B={Batch},T={Time},heads={Options.Heads}]";
        public string MemoryShape => $"[B={Batch},heads={Options.Heads},m={Options.ValueSize},d'={FeatureSize}]";
        public string NormalizerShape => $"[B={Batch},heads={Options.Heads},d'={FeatureSize}]";
    }

    private void CheckInputs(Shapes shapes, ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<float> beta)
    {
        ViewChecks.Required(q, nameof(q), shapes.Keys, shapes.KeysShape, Accelerator);
        ViewChecks.Required(k, nameof(k), shapes.Keys, shapes.KeysShape, Accelerator);
        ViewChecks.Required(v, nameof(v), shapes.Values, shapes.ValuesShape, Accelerator);
        RateView(beta, nameof(beta), shapes);
    }

    /// <summary>β or dβ: required for the delta rule, absent for the sum rule (which has no write strength).</summary>
    private void RateView(ArrayView<float> view, string name, Shapes shapes)
    {
        if (Options.Rule == UpdateRule.Delta)
            ViewChecks.Required(view, name, shapes.Rates, shapes.RatesShape, Accelerator);
        else
            Unused(view, name, "the sum rule has no write strength β");
    }

    /// <summary>z0, zT, dz0 or dzT: optional with the normalised sum rule, absent otherwise. Returns whether present.</summary>
    private bool NormalizerView(ArrayView<float> view, string name, Shapes shapes)
    {
        if (Options.KeepsNormalizer)
            return ViewChecks.Optional(view, name, shapes.Normalizer, shapes.NormalizerShape, Accelerator);
        Unused(view, name, "only the normalised sum rule keeps a normaliser z");
        return false;
    }

    private static void Unused(ArrayView<float> view, string name, string why)
    {
        // A given-but-ignored view is almost always a wiring mistake; reject it rather than silently skip it.
        if (view.IsValid)
            throw new ArgumentException($"{name} must be an empty view with these options ({why}), but {view.Length} elements were given.", name);
    }

    private LinearSweepArgs Arguments(LinearFastWeightWorkspace workspace, int batch, int time,
        ArrayView<float> q, ArrayView<float> k, ArrayView<float> v, ArrayView<float> beta)
    {
        var stand = workspace.Buffers.Vectors; // a valid view for every slot the call does not use; never read there
        return new LinearSweepArgs
        {
            Batch = batch, Time = time, Heads = Options.Heads, KeySize = Options.KeySize, ValueSize = Options.ValueSize,
            FeatureSize = FeatureSize, Map = (int)Options.FeatureMap, Delta = Options.Rule == UpdateRule.Delta ? 1 : 0,
            Normalize = Options.Normalize ? 1 : 0, KeepsZ = Options.KeepsNormalizer ? 1 : 0, StoreAll = Options.StoreAll ? 1 : 0, Compensate = Options.CompensatedSums ? 1 : 0,
            Epsilon = (float)Options.Epsilon,
            Q = q, K = k, V = v, Beta = Options.Rule == UpdateRule.Delta ? beta : stand,
            W0 = stand, Z0 = stand, Y = stand, WT = stand, ZT = stand,
            Dy = stand, DwT = stand, DzT = stand, Dq = stand, Dk = stand, Dv = stand, DBeta = stand, Dw0 = stand, Dz0 = stand,
            FinalW = workspace.Buffers.FinalW, FinalZ = workspace.Buffers.FinalZ, VBar = workspace.Buffers.VBar, Outputs = workspace.Buffers.Outputs, Den = workspace.Buffers.Den, History = workspace.Buffers.History,
            Rebuild = workspace.Buffers.Rebuild, Grad = workspace.Buffers.Grad, RebuildZ = workspace.Buffers.RebuildZ, GradZ = workspace.Buffers.GradZ,
            FinalWLoss = workspace.Buffers.FinalWLoss, FinalZLoss = workspace.Buffers.FinalZLoss, RebuildLoss = workspace.Buffers.RebuildLoss, RebuildZLoss = workspace.Buffers.RebuildZLoss,
            Vectors = workspace.Buffers.Vectors, Counts = workspace.Buffers.Counts,
            AnchorSlots = workspace.Plan.AnchorSlots, Anchors = workspace.Buffers.Anchors, AnchorSteps = workspace.Buffers.AnchorSteps, Status = workspace.Buffers.Status,
        };
    }

    /// <summary>One group per (sequence, head).</summary>
    private KernelConfig GroupConfig(int batch) => SweepKernels<LinearSweepArgs, LinearSweepArgs>.GroupConfig(
        batch * Options.Heads, GroupSize, LinearForwardSweep.GroupSharedFloats(GroupSize, FeatureSize, Options.ValueSize));

    /// <summary>
    /// Reads the forward's status (one wait for the stream): throws if W or y overflowed, whose gradients would be ±∞ or
    /// NaN, or if the rebuild needed more anchors than the workspace has slots, whose gradients would miss the bound.
    /// </summary>
    private void ThrowIfForwardUnusable(AcceleratorStream stream, LinearFastWeightWorkspace workspace, int batch)
    {
        int sequences = batch * Options.Heads;
        var status = new float[2 * sequences];
        workspace.Buffers.Status.SubView(0, status.Length).CopyToCPU(stream, status);
        stream.Synchronize();
        int slots = workspace.Plan.AnchorSlots;
        for (int n = 0; n < sequences; n++)
        {
            if (status[2 * n + 1] != 0f)
                throw new InvalidOperationException(
                    $"The forward overflowed (W or y is not finite) for sequence {n / Options.Heads}, head {n % Options.Heads}: "
                    + "its gradients would be infinite or NaN. Delta-rule writes with σ(β)|φ̃(k)|² > 2 expand W; normalise the features "
                    + "(Normalize = true) or shorten the sequence.");
            if (status[2 * n] > slots)
                throw new InvalidOperationException(
                    $"The rebuild needs {status[2 * n]} anchors for sequence {n / Options.Heads}, head {n % Options.Heads}, but the workspace "
                    + $"has {slots} (MaxAnchors = {Options.MaxAnchors?.ToString() ?? "null: 16 + ⌈T/64⌉"}, T = {workspace.Plan.Time}): its W grows or cancels too much to be "
                    + "rebuilt within the bound otherwise. Raise LinearFastWeightOptions.MaxAnchors (or use StoreAll).");
        }
    }

    private static void CheckSizes(LinearFastWeightOptions options, int batch, int time)
    {
        ViewChecks.Positive(batch, nameof(batch));
        ViewChecks.Positive(time, nameof(time));
        int width = Math.Max(options.KeySize, Math.Max(options.ValueSize, options.FeatureSize()));
        // Per-step rows of [B,T,heads,·] are indexed in 64 bits in the kernels, but the launch counts B·heads
        // threads or groups and the finite check B·T·heads·max(d, m) elements in 32 bits.
        // The backward counts steps per column in float32 (a workspace float buffer), exact below 2²⁴.
        if (time >= 1 << 24)
            throw new ArgumentOutOfRangeException(nameof(time), time, "time must be below 2²⁴ = 16,777,216.");
        if ((long)batch * options.Heads > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, "B·heads must be below 2³¹.");
        if ((long)batch * time * options.Heads * width > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(time), time, "B·T·heads·max(d, m, d') must be below 2³¹.");
    }

    private void CheckCall(AcceleratorStream stream, LinearFastWeightWorkspace workspace, int batch, int time) =>
        skeleton.CheckCall(stream, workspace, w => SameSizesAndRules(w.Options), "other sizes or rules", batch, time);

    private bool SameSizesAndRules(LinearFastWeightOptions o) =>
        o.Heads == Options.Heads && o.KeySize == Options.KeySize && o.ValueSize == Options.ValueSize
        && o.FeatureMap == Options.FeatureMap && o.Rule == Options.Rule && o.Normalize == Options.Normalize
        && o.StoreAll == Options.StoreAll && o.MaxAnchors == Options.MaxAnchors;

    /// <summary>Frees the layer's own device memory (a few bytes of flags). Kernels are owned by the accelerator. Safe to call twice.</summary>
    public void Dispose()
    {
        skeleton.Close();
    }
}
