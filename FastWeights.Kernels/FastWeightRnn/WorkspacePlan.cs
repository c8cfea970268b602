namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// The device buffers one training call (forward + backward) needs, in float32 elements.
/// This is the single place the memory model of docs/design.md §4 is written down; the workspace
/// allocates exactly these buffers and nothing else.
/// </summary>
/// <param name="Batch">B.</param>
/// <param name="Time">T.</param>
/// <param name="Hidden">H.</param>
/// <param name="InnerSteps">S.</param>
/// <param name="CheckpointInterval">K.</param>
public readonly record struct WorkspacePlan(int Batch, int Time, int Hidden, int InnerSteps, int CheckpointInterval)
{
    /// <summary>Stored copies of A: A(0), A(K), … below T, and A(T).</summary>
    public int CheckpointCount => CheckpointPolicy.CheckpointCount(Time, CheckpointInterval);

    /// <summary>[B,T,H]: the input projection C x_t + b in the forward, reused for dz in the backward.</summary>
    public long ProjectionElements => (long)Batch * Time * Hidden;

    /// <summary>[B,T+1,H]: h before step 0 and after every step (the outer states).</summary>
    public long StatesElements => (long)Batch * (Time + 1) * Hidden;

    /// <summary>[B,T,S,H]: the input h_s of every inner step (h_0 = f(z) included).</summary>
    public long InnerStatesElements => (long)Batch * Time * InnerSteps * Hidden;

    /// <summary>[B,T,S,H]: the normalised pre-activation x̂ of every inner step.</summary>
    public long NormalizedElements => InnerStatesElements;

    /// <summary>[B,T,S]: 1/sqrt(var + ε) of every inner step.</summary>
    public long InverseStdElements => (long)Batch * Time * InnerSteps;

    /// <summary>[CheckpointCount,B,H,H]: the stored copies of A.</summary>
    public long CheckpointElements => (long)CheckpointCount * Batch * Hidden * Hidden;

    /// <summary>[B,H,H]: A being rebuilt backwards in the reverse sweep.</summary>
    public long RebuildElements => (long)Batch * Hidden * Hidden;

    /// <summary>[B,H,H]: Ā, the gradient reaching A, carried backwards.</summary>
    public long FastWeightGradElements => (long)Batch * Hidden * Hidden;

    /// <summary>[B,3,H]: per-sequence vectors of the thread schedule (the group schedule keeps them in shared memory).</summary>
    public long VectorElements => (long)Batch * 3 * Hidden;

    /// <summary>[B,2,H]: per-sequence partial sums of dg and dβ, reduced over B in a fixed order afterwards.</summary>
    public long LayerNormGradElements => (long)Batch * 2 * Hidden;

    /// <summary>All elements together.</summary>
    public long TotalElements =>
        ProjectionElements + StatesElements + InnerStatesElements + NormalizedElements + InverseStdElements
        + CheckpointElements + RebuildElements + FastWeightGradElements + VectorElements + LayerNormGradElements;

    /// <summary>All bytes together (float32).</summary>
    public long TotalBytes => TotalElements * sizeof(float);
}
