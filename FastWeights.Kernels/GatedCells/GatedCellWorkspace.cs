namespace FastWeights.Kernels.GatedCells;

/// <summary>
/// What the workspaces of the two layer-normalised gated cells (<see cref="Lstm.LstmWorkspace"/>,
/// <see cref="Gru.GruWorkspace"/>) share: the sizes they serve and the six buffers both cells keep in the same role — the
/// input projection (reused for its gradient in the backward), the states h, the normalised values of the first layer
/// norm, 1/σ of every norm, the thread schedule's per-sequence vectors and the first norm's per-sequence partial sums of
/// dγ and dβ. The cell's plan lists these six first and its own buffers after them; all are allocated here, in that
/// order, so that <see cref="DeviceWorkspace.AllocatedBytes"/> equals the plan's bytes.
/// </summary>
public abstract class GatedCellWorkspace : DeviceWorkspace
{
    /// <summary>How many buffers every gated cell's plan lists first, in the order of the properties below.</summary>
    internal const int SharedBuffers = 6;

    private readonly ArrayView<float>[] buffers;

    /// <summary>Records the sizes and allocates <paramref name="elements"/> (the plan's list), freeing all if one allocation fails.</summary>
    private protected GatedCellWorkspace(Accelerator accelerator, int maxBatch, int maxTime, int hidden, long[] elements)
        : base(accelerator)
    {
        MaxBatch = maxBatch;
        MaxTime = maxTime;
        Hidden = hidden;
        buffers = new ArrayView<float>[elements.Length];
        try
        {
            for (int k = 0; k < elements.Length; k++)
                buffers[k] = Allocate(elements[k]);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public override int MaxBatch { get; }

    /// <inheritdoc/>
    public override int MaxTime { get; }

    /// <summary>H of the layer that made it.</summary>
    internal int Hidden { get; }

    internal ArrayView<float> Projection => buffers[0];     // [B,T,GH] W_x x_t (+ b), then its gradient
    internal ArrayView<float> States => buffers[1];         // [B,T+1,H] h before step 0 and after every step
    internal ArrayView<float> Normalized => buffers[2];     // [B,T,GH] the first norm's normalised values
    internal ArrayView<float> InverseStd => buffers[3];     // [B,T,4] 1/σ of four norms a step (LSTM: the gates'; GRU: all)
    internal ArrayView<float> Vectors => buffers[4];        // [B,2,H] thread-schedule scratch
    internal ArrayView<float> LayerNormGrad => buffers[5];  // [B,2,GH] the first norm's partial sums of dγ, dβ

    /// <summary>The cell's own buffer <paramref name="k"/>, in the order its plan lists them after the shared six.</summary>
    private protected ArrayView<float> Own(int k) => buffers[SharedBuffers + k];
}

/// <summary>A gated cell's workspace with the plan it was allocated from.</summary>
/// <typeparam name="TPlan">The cell's plan (<see cref="Lstm.LstmWorkspacePlan"/>, <see cref="Gru.GruWorkspacePlan"/>).</typeparam>
public abstract class GatedCellWorkspace<TPlan> : GatedCellWorkspace
    where TPlan : struct
{
    /// <summary>Records <paramref name="plan"/> and allocates its buffers (<paramref name="elements"/>, the plan's list).</summary>
    private protected GatedCellWorkspace(Accelerator accelerator, TPlan plan, int maxBatch, int maxTime, int hidden, long[] elements)
        : base(accelerator, maxBatch, maxTime, hidden, elements) => Plan = plan;

    /// <summary>The sizes this workspace serves and what was allocated, element by element.</summary>
    public TPlan Plan { get; }
}
