namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// The device memory of one training call of a <see cref="FastWeightRnnLayer"/>: what the forward
/// stores for the backward (outer and inner states, layer-norm statistics, copies of A every K steps)
/// and the backward's own state (A being rebuilt, Ā, dz). Sized for at most
/// <see cref="MaxBatch"/> × <see cref="MaxTime"/>; create one with
/// <see cref="FastWeightRnnLayer.CreateWorkspace"/>, reuse it across calls, dispose it when done.
/// </summary>
/// <remarks>
/// Memory contract: a forward overwrites the tape (projection, states, inner states, x̂, 1/σ, copies of A)
/// and the thread-schedule vectors; a backward reads the tape and overwrites only its own buffers
/// (A rebuilt, Ā, dz in the projection buffer, layer-norm partials), so it may be called again for another dy.
/// A workspace serves one call at a time: two streams must not share one. Under a checkpoint plan the
/// backward also writes the scratch copies of A (never the forward's persistent ones).
/// <para>A workspace belongs to one form (<see cref="Form"/>, resolved when it was created): a matrix-form
/// workspace holds the buffers of <see cref="Plan"/>; an attention-form one holds the attention form's tape
/// (the vector tape, one [B,T,H] gradient buffer and a copy of A0; docs/baselines.md §2) and none of the A copies.</para>
/// </remarks>
public sealed class FastWeightRnnWorkspace : DeviceWorkspace
{
    private readonly FastWeightRnnBuffers<ArrayView<float>>? buffers;

    internal FastWeightRnnWorkspace(Accelerator accelerator, WorkspacePlan plan, AttentionFormWorkspace attention)
        : base(accelerator)
    {
        Plan = plan;
        Form = FastWeightForm.Attention;
        Attention = attention;
    }

    internal FastWeightRnnWorkspace(Accelerator accelerator, WorkspacePlan plan)
        : base(accelerator)
    {
        Plan = plan;
        Form = FastWeightForm.Matrix;
        buffers = AllocateBuffers(sink => new FastWeightRnnBuffers<ArrayView<float>>(plan, sink));
    }

    /// <summary>
    /// The sizes this workspace serves, and for <see cref="FastWeightForm.Matrix"/> what was allocated, element by
    /// element. An attention-form workspace allocates its own buffers instead (<see cref="AllocatedBytes"/>).
    /// </summary>
    public WorkspacePlan Plan { get; }

    /// <summary>The form this workspace runs: <see cref="FastWeightForm.Matrix"/> or <see cref="FastWeightForm.Attention"/>, never Auto.</summary>
    public FastWeightForm Form { get; }

    /// <summary>The attention form's buffers when <see cref="Form"/> is <see cref="FastWeightForm.Attention"/>, else null.</summary>
    internal AttentionFormWorkspace? Attention { get; }

    /// <inheritdoc/>
    public override int MaxBatch => Plan.Batch;

    /// <inheritdoc/>
    public override int MaxTime => Plan.Time;

    /// <summary>
    /// Sum of the sizes of the device buffers really allocated, in bytes (equals <see cref="FastWeightRnnLayer.WorkspaceBytes(int,int)"/>
    /// for this workspace's capacity: <see cref="WorkspacePlan.TotalBytes"/> in the matrix form).
    /// </summary>
    public override long AllocatedBytes => Attention?.AllocatedBytes ?? base.AllocatedBytes;


    /// <summary>The matrix form's buffers (<see cref="Plan"/>'s list); an attention-form workspace has none.</summary>
    internal FastWeightRnnBuffers<ArrayView<float>> Buffers =>
        buffers ?? throw new InvalidOperationException("An attention-form workspace has no matrix-form buffers.");

    /// <summary>
    /// Where the last forward stored copies of A and how a backward recovers the rest (docs/design.md §9);
    /// null before the first forward. Without a budget, or when the K-step copies fit, every anchor is stored.
    /// </summary>
    public CheckpointPlan? CheckpointPlan { get; internal set; }

    /// <summary>
    /// Recurrence steps (writes A ← λA + η h hᵀ, per sequence) the last backward replayed to recover copies of A,
    /// counted as the replay kernels were queued: <see cref="FastWeightRnn.CheckpointPlan.RecomputedSteps"/> of <see cref="CheckpointPlan"/>.
    /// 0 before any backward and without recomputation.
    /// </summary>
    public long RecomputedSteps { get; internal set; }

    /// <summary>The attention form's workspace is owned by this one.</summary>
    private protected override void DisposeOwned() => Attention?.Dispose();
}
