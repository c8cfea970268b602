using FastWeights.Kernels.Baselines;
using ILGPU;
using ILGPU.Runtime;

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
/// A workspace serves one call at a time: two streams must not share one. Under a checkpoint schedule the
/// backward also writes the scratch copies of A (never the forward's persistent ones).
/// <para>A workspace belongs to one form (<see cref="Form"/>, resolved when it was created): a matrix-form
/// workspace holds the buffers of <see cref="Plan"/>; an attention-form one holds the attention form's tape
/// (the vector tape, one [B,T,H] gradient buffer and a copy of A0; docs/baselines.md §2) and none of the A copies.</para>
/// </remarks>
public sealed class FastWeightRnnWorkspace : IDisposable
{
    private readonly List<MemoryBuffer> buffers = new();
    private bool disposed;

    internal FastWeightRnnWorkspace(Accelerator accelerator, WorkspacePlan plan, AttentionFormWorkspace attention)
    {
        Accelerator = accelerator;
        Plan = plan;
        Form = FastWeightForm.Attention;
        Attention = attention;
    }

    internal FastWeightRnnWorkspace(Accelerator accelerator, WorkspacePlan plan)
    {
        Accelerator = accelerator;
        Plan = plan;
        Form = FastWeightForm.Matrix;
        try
        {
            Projection = Allocate(plan.ProjectionElements);
            States = Allocate(plan.StatesElements);
            InnerStates = Allocate(plan.InnerStatesElements);
            Normalized = Allocate(plan.NormalizedElements);
            InverseStd = Allocate(plan.InverseStdElements);
            Checkpoints = Allocate(plan.CheckpointElements);
            Rebuild = Allocate(plan.RebuildElements);
            FastWeightGrad = Allocate(plan.FastWeightGradElements);
            Vectors = Allocate(plan.VectorElements);
            LayerNormGrad = Allocate(plan.LayerNormGradElements);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The accelerator the buffers live on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>
    /// The sizes this workspace serves, and for <see cref="FastWeightForm.Matrix"/> what was allocated, element by
    /// element. An attention-form workspace allocates its own buffers instead (<see cref="AllocatedBytes"/>).
    /// </summary>
    public WorkspacePlan Plan { get; }

    /// <summary>The form this workspace runs: <see cref="FastWeightForm.Matrix"/> or <see cref="FastWeightForm.Attention"/>, never Auto.</summary>
    public FastWeightForm Form { get; }

    /// <summary>The attention form's buffers when <see cref="Form"/> is <see cref="FastWeightForm.Attention"/>, else null.</summary>
    internal AttentionFormWorkspace? Attention { get; }

    /// <summary>The largest batch B this workspace serves.</summary>
    public int MaxBatch => Plan.Batch;

    /// <summary>The longest sequence T this workspace serves.</summary>
    public int MaxTime => Plan.Time;

    /// <summary>
    /// Sum of the sizes of the device buffers really allocated, in bytes (equals <see cref="FastWeightRnnLayer.WorkspaceBytes(int,int)"/>
    /// for this workspace's capacity: <see cref="WorkspacePlan.TotalBytes"/> in the matrix form).
    /// </summary>
    public long AllocatedBytes
    {
        get
        {
            if (Attention is not null) return Attention.AllocatedBytes;
            long total = 0;
            foreach (var b in buffers) total += b.LengthInBytes;
            return total;
        }
    }

    /// <summary>Whether <see cref="Dispose"/> was called.</summary>
    public bool IsDisposed => disposed;


    internal ArrayView<float> Projection { get; }
    internal ArrayView<float> States { get; }
    internal ArrayView<float> InnerStates { get; }
    internal ArrayView<float> Normalized { get; }
    internal ArrayView<float> InverseStd { get; }
    internal ArrayView<float> Checkpoints { get; }
    internal ArrayView<float> Rebuild { get; }
    internal ArrayView<float> FastWeightGrad { get; }
    internal ArrayView<float> Vectors { get; }
    internal ArrayView<float> LayerNormGrad { get; }

    /// <summary>
    /// Where the last forward stored copies of A and how a backward recovers the rest (docs/design.md §9);
    /// null before the first forward. Without a budget, or when the K-step copies fit, every anchor is stored.
    /// </summary>
    public CheckpointSchedule? Schedule { get; internal set; }

    /// <summary>
    /// Recurrence steps (writes A ← λA + η h hᵀ, per sequence) the last backward replayed to recover copies of A,
    /// counted as the replay kernels were queued: <see cref="CheckpointSchedule.RecomputedSteps"/> of <see cref="Schedule"/>.
    /// 0 before any backward and without recomputation.
    /// </summary>
    public long RecomputedSteps { get; internal set; }

    /// <summary>Set by a forward for (batch, time); a backward checks it matches.</summary>
    internal (int Batch, int Time)? ForwardShape { get; set; }

    /// <summary>The layer whose forward filled the tape last.</summary>
    internal object? ForwardLayer { get; set; }

    private ArrayView<float> Allocate(long elements)
    {
        // ILGPU refuses zero-length buffers on some back ends; every buffer here has ≥ 1 element
        // because B, T, H, S ≥ 1.
        var buffer = Accelerator.Allocate1D<float>(elements);
        buffers.Add(buffer);
        return buffer.View;
    }

    /// <summary>Frees the device buffers. Safe to call twice.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        Attention?.Dispose();
        foreach (var b in buffers) b.Dispose();
        buffers.Clear();
    }
}
