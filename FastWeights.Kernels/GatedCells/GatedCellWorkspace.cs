namespace FastWeights.Kernels.GatedCells;

/// <summary>
/// What the workspaces of the two layer-normalised gated cells (<see cref="Lstm.LstmWorkspace"/>,
/// <see cref="Gru.GruWorkspace"/>) share: the sizes they serve and the six buffers both cells keep in the same role — the
/// input projection (reused for its gradient in the backward), the states h, the normalised values of the first layer
/// norm, 1/σ of every norm, the thread schedule's per-sequence vectors and the first norm's per-sequence partial sums of
/// dγ and dβ. They are allocated first, the cell's own list after them, from the lists the cell's plan counts, so
/// that <see cref="DeviceWorkspace.AllocatedBytes"/> equals the plan's bytes by construction.
/// </summary>
public abstract class GatedCellWorkspace : DeviceWorkspace
{
    /// <summary>
    /// Records the sizes and allocates the six buffers every gated cell keeps (<see cref="GatedCellBuffers{T}"/>), then
    /// the cell's own list, which <paramref name="cell"/> takes from the sink: the order <see cref="Elements"/> counts.
    /// </summary>
    private protected GatedCellWorkspace(Accelerator accelerator, int maxBatch, int maxTime, int hidden, int gates,
        Func<BufferSink<ArrayView<float>>, object> cell)
        : base(accelerator)
    {
        MaxBatch = maxBatch;
        MaxTime = maxTime;
        Hidden = hidden;
        // A tuple's elements are evaluated left to right: the shared six first, then the cell's own list.
        (Shared, Cell) = AllocateBuffers(sink => (new GatedCellBuffers<ArrayView<float>>(maxBatch, maxTime, hidden, gates, sink), cell(sink)));
    }

    /// <summary>
    /// Float32 elements of a gated cell's workspace for (B, T, H) with <paramref name="gates"/> gate blocks: the shared
    /// six, then the cell's own list (<paramref name="cell"/> takes it from the sink), in the order a workspace allocates them.
    /// </summary>
    internal static long Elements(int batch, int time, int hidden, int gates, Action<BufferSink<long>> cell) =>
        BufferSizes.TotalOf(sizes =>
        {
            _ = new GatedCellBuffers<long>(batch, time, hidden, gates, sizes);
            cell(sizes);
        });

    /// <inheritdoc/>
    public override int MaxBatch { get; }

    /// <inheritdoc/>
    public override int MaxTime { get; }

    /// <summary>H of the layer that made it.</summary>
    internal int Hidden { get; }

    /// <summary>The six buffers every gated cell keeps, allocated first.</summary>
    internal GatedCellBuffers<ArrayView<float>> Shared { get; }

    /// <summary>The cell's own buffers, after the shared six: what the derived workspace's <c>cell</c> built.</summary>
    private protected object Cell { get; }
}

/// <summary>
/// The six buffers every layer-normalised gated cell keeps in the same role, in allocation order, each with its float32
/// elements: counted (T = long) or allocated (T = ArrayView&lt;float&gt;) through <see cref="BufferSink{T}"/>. G is the
/// cell's gate count (4 for the LSTM, 3 for the GRU).
/// </summary>
/// <typeparam name="T">A buffer's element count, or its device view.</typeparam>
/// <param name="b">B.</param>
/// <param name="t">T.</param>
/// <param name="h">H.</param>
/// <param name="gates">G.</param>
/// <param name="sink">Takes each buffer in turn.</param>
internal sealed class GatedCellBuffers<T>(long b, long t, long h, long gates, BufferSink<T> sink)
{
    internal T Projection { get; } = sink.Take(b * t * gates * h);     // [B,T,GH] W_x x_t (+ b), then its gradient
    internal T States { get; } = sink.Take(b * (t + 1) * h);           // [B,T+1,H] h before step 0 and after every step
    internal T Normalized { get; } = sink.Take(b * t * gates * h);     // [B,T,GH] the first norm's normalised values
    internal T InverseStd { get; } = sink.Take(b * t * 4);             // [B,T,4] 1/σ of four norms a step (LSTM: the gates'; GRU: all)
    internal T Vectors { get; } = sink.Take(b * 2 * h);                // [B,2,H] thread-schedule scratch
    internal T LayerNormGrad { get; } = sink.Take(b * 2 * gates * h);  // [B,2,GH] the first norm's partial sums of dγ, dβ
}

/// <summary>A gated cell's workspace with the plan it was allocated from.</summary>
/// <typeparam name="TPlan">The cell's plan (<see cref="Lstm.LstmWorkspacePlan"/>, <see cref="Gru.GruWorkspacePlan"/>).</typeparam>
public abstract class GatedCellWorkspace<TPlan> : GatedCellWorkspace
    where TPlan : struct
{
    /// <summary>Records <paramref name="plan"/> and allocates the shared six, then the cell's own list (<paramref name="cell"/>).</summary>
    private protected GatedCellWorkspace(Accelerator accelerator, TPlan plan, int maxBatch, int maxTime, int hidden, int gates,
        Func<BufferSink<ArrayView<float>>, object> cell)
        : base(accelerator, maxBatch, maxTime, hidden, gates, cell) => Plan = plan;

    /// <summary>The sizes this workspace serves and what was allocated, element by element.</summary>
    public TPlan Plan { get; }
}
