namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// The device buffers one training call (forward + backward) needs, in float32 elements.
/// With <see cref="FastWeightRnnBuffers{T}"/> (the buffer list itself) this is the single place the memory model of
/// docs/design.md §4 is written down; the workspace allocates exactly these buffers and nothing else.
/// </summary>
/// <param name="Batch">B.</param>
/// <param name="Time">T.</param>
/// <param name="Hidden">H.</param>
/// <param name="InnerSteps">S.</param>
/// <param name="CheckpointInterval">K.</param>
public readonly record struct WorkspacePlan(int Batch, int Time, int Hidden, int InnerSteps, int CheckpointInterval)
{
    /// <summary>
    /// A cap on the copies of A (from a memory budget, docs/design.md §9); null: a copy every K steps.
    /// Below the K-step count the backward recomputes the missing copies (<see cref="CheckpointPlan"/>).
    /// </summary>
    public int? CheckpointSlotLimit { get; init; }

    /// <summary>
    /// Copies of A held: A(0), A(K), … below T, and A(T) (⌈T/K⌉ + 1), or <see cref="CheckpointSlotLimit"/> when smaller.
    /// </summary>
    public int CheckpointCount => CheckpointSlotLimit is int limit
        ? Math.Min(limit, CheckpointPolicy.CheckpointCount(Time, CheckpointInterval))
        : CheckpointPolicy.CheckpointCount(Time, CheckpointInterval);

    /// <summary>[B,H,H]: one copy of A.</summary>
    public long CheckpointSlotElements => (long)Batch * Hidden * Hidden;

    /// <summary>[CheckpointCount,B,H,H]: the stored copies of A (persistent and, under a budget, scratch).</summary>
    public long CheckpointElements => Elements.Checkpoints;

    /// <summary>Everything but the copies of A: the part a memory budget cannot trade away.</summary>
    public long FixedElements => TotalElements - CheckpointElements;

    /// <summary>All elements together.</summary>
    public long TotalElements
    {
        get
        {
            var plan = this;
            return BufferSizes.TotalOf(sizes => _ = new FastWeightRnnBuffers<long>(plan, sizes));
        }
    }

    /// <summary>All bytes together (float32).</summary>
    public long TotalBytes => TotalElements * sizeof(float);

    /// <summary>Every buffer's float32 elements, in allocation order.</summary>
    internal FastWeightRnnBuffers<long> Elements => new(this, new BufferSizes());

    /// <summary>
    /// The plan for (B, T) under a memory budget and/or a cap on copies of A: as many copies as fit, at most the
    /// K-step count, at least <see cref="CheckpointPlan.MinimumSlots"/>. Without either cap, the K-step plan.
    /// </summary>
    /// <param name="batch">B.</param>
    /// <param name="time">T.</param>
    /// <param name="hidden">H.</param>
    /// <param name="innerSteps">S.</param>
    /// <param name="interval">K.</param>
    /// <param name="memoryBudgetBytes">Cap on <see cref="TotalBytes"/>, or null.</param>
    /// <param name="maxCheckpointCopies">Cap on <see cref="CheckpointCount"/>, or null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A cap is below what the smallest schedule needs; the exception
    /// names the option (<c>MemoryBudgetBytes</c> or <c>MaxCheckpointCopies</c>) and the minimum.</exception>
    public static WorkspacePlan Budgeted(int batch, int time, int hidden, int innerSteps, int interval,
        long? memoryBudgetBytes, int? maxCheckpointCopies)
    {
        var plan = new WorkspacePlan(batch, time, hidden, innerSteps, interval);
        if (memoryBudgetBytes is null && maxCheckpointCopies is null) return plan;
        int natural = plan.CheckpointCount;
        int minimum = Math.Min(CheckpointPlan.MinimumSlots(time, interval), natural);
        long slotBytes = plan.CheckpointSlotElements * sizeof(float);
        long fixedBytes = plan.FixedElements * sizeof(float);
        long slots = natural;
        if (maxCheckpointCopies is int copies)
        {
            if (copies < minimum)
                throw new ArgumentOutOfRangeException(nameof(FastWeightRnnOptions.MaxCheckpointCopies), copies,
                    $"MaxCheckpointCopies = {copies} is below the minimum of {minimum} copies of A for T = {time}, K = {interval} "
                    + "(A(0), A(T) and one to replay into).");
            slots = Math.Min(slots, copies);
        }
        if (memoryBudgetBytes is long budget)
        {
            long fit = budget >= fixedBytes ? (budget - fixedBytes) / slotBytes : -1;
            if (fit < minimum)
                throw new ArgumentOutOfRangeException(nameof(FastWeightRnnOptions.MemoryBudgetBytes), budget,
                    $"MemoryBudgetBytes = {budget} is below the minimum of {fixedBytes + minimum * slotBytes} bytes for B = {batch}, T = {time}: "
                    + $"{fixedBytes} bytes of per-step tape and backward buffers plus {minimum} copies of A of {slotBytes} bytes each.");
            slots = Math.Min(slots, fit);
        }
        return plan with { CheckpointSlotLimit = (int)slots };
    }
}

/// <summary>
/// The buffers of a matrix-form <see cref="FastWeightRnnWorkspace"/>, in allocation order, each with its size in float32
/// elements: the one list both <see cref="WorkspacePlan.TotalElements"/> counts (T = long) and the workspace allocates
/// (T = ArrayView&lt;float&gt;; <see cref="BufferSink{T}"/>).
/// </summary>
/// <typeparam name="T">A buffer's element count, or its device view.</typeparam>
/// <param name="plan">The sizes.</param>
/// <param name="sink">Takes each buffer in turn.</param>
internal sealed class FastWeightRnnBuffers<T>(WorkspacePlan plan, BufferSink<T> sink)
{
    /// <summary>[B,T,H]: the input projection C x_t + b in the forward, reused for dz in the backward.</summary>
    internal T Projection { get; } = sink.Take((long)plan.Batch * plan.Time * plan.Hidden);

    /// <summary>[B,T+1,H]: h before step 0 and after every step (the outer states).</summary>
    internal T States { get; } = sink.Take((long)plan.Batch * (plan.Time + 1) * plan.Hidden);

    /// <summary>[B,T,S,H]: the input h_s of every inner step (h_0 = f(z) included).</summary>
    internal T InnerStates { get; } = sink.Take((long)plan.Batch * plan.Time * plan.InnerSteps * plan.Hidden);

    /// <summary>[B,T,S,H]: the normalised pre-activation x̂ of every inner step.</summary>
    internal T Normalized { get; } = sink.Take((long)plan.Batch * plan.Time * plan.InnerSteps * plan.Hidden);

    /// <summary>[B,T,S]: 1/sqrt(var + ε) of every inner step.</summary>
    internal T InverseStd { get; } = sink.Take((long)plan.Batch * plan.Time * plan.InnerSteps);

    /// <summary>[CheckpointCount,B,H,H]: the stored copies of A (persistent and, under a budget, scratch).</summary>
    internal T Checkpoints { get; } = sink.Take(plan.CheckpointCount * plan.CheckpointSlotElements);

    /// <summary>[B,H,H]: A being rebuilt backwards in the reverse sweep.</summary>
    internal T Rebuild { get; } = sink.Take(plan.CheckpointSlotElements);

    /// <summary>[B,H,H]: Ā, the gradient reaching A, carried backwards.</summary>
    internal T FastWeightGrad { get; } = sink.Take(plan.CheckpointSlotElements);

    /// <summary>[B,3,H]: per-sequence vectors of the thread schedule (the group schedule keeps them in shared memory).</summary>
    internal T Vectors { get; } = sink.Take((long)plan.Batch * 3 * plan.Hidden);

    /// <summary>[B,2,H]: per-sequence partial sums of dg and dβ, reduced over B in a fixed order afterwards.</summary>
    internal T LayerNormGrad { get; } = sink.Take((long)plan.Batch * 2 * plan.Hidden);
}
