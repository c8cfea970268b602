namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// Where the group schedule's matrices live, decided from shared-memory sizes alone: pure arithmetic,
/// no device calls, so it is tested on any machine (docs/design.md §6.2).
/// </summary>
/// <param name="ForwardFastWeightsOnChip">The forward keeps A in shared memory.</param>
/// <param name="ReverseFastWeightsOnChip">The reverse keeps A and Ā in shared memory.</param>
/// <param name="VectorsFit">The vectors and partials alone fit (else the group schedule cannot run).</param>
internal readonly record struct GroupSharedMemoryPlan(bool ForwardFastWeightsOnChip, bool ReverseFastWeightsOnChip, bool VectorsFit);

/// <summary>
/// The fast-weight RNN's group sweeps against a shared-memory limit (<see cref="SharedMemoryBudget.GroupLimit"/>): the
/// bytes each launches with and whether A (and Ā) stay on chip.
/// </summary>
internal static class FastWeightSharedMemory
{
    /// <summary>
    /// Keeps a sweep's matrices on chip iff its whole shared block (vectors, partials and matrices) fits
    /// <paramref name="limitBytes"/>: 4·(2G + 3H + H²) forward, 4·(2G + 2H + 2H²) reverse.
    /// </summary>
    /// <param name="hidden">H.</param>
    /// <param name="groupSize">G, threads per group.</param>
    /// <param name="limitBytes">From <see cref="SharedMemoryBudget.GroupLimit"/>.</param>
    public static GroupSharedMemoryPlan Plan(int hidden, int groupSize, long limitBytes) => new(
        ForwardBytes(hidden, groupSize, true) <= limitBytes,
        ReverseBytes(hidden, groupSize, true) <= limitBytes,
        ForwardBytes(hidden, groupSize, false) <= limitBytes && ReverseBytes(hidden, groupSize, false) <= limitBytes);

    /// <summary>Bytes of dynamic shared memory the forward group kernel launches with.</summary>
    public static long ForwardBytes(int hidden, int groupSize, bool fastWeightsOnChip) =>
        4L * ForwardSweep.GroupSharedFloats(hidden, groupSize, fastWeightsOnChip);

    /// <summary>Bytes of dynamic shared memory the reverse group kernel launches with.</summary>
    public static long ReverseBytes(int hidden, int groupSize, bool fastWeightsOnChip) =>
        4L * ReverseSweep.GroupSharedFloats(hidden, groupSize, fastWeightsOnChip);
}
