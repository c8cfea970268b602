namespace FastWeights.Model.Distributed;

/// <summary>
/// The collective operations data-parallel training needs, over a fixed group of <see cref="Size"/> processes (ranks).
/// Every rank must make the same calls in the same order with the same lengths (an MPI rule); a call returns on a rank
/// once every rank has made it.
/// </summary>
/// <remarks>
/// <para>Implementations: <see cref="SingleProcess"/> (one rank, every call a no-op) and <see cref="MpiCollective"/>
/// (OpenMPI through its C API). NCCL (GPU to GPU without staging through the host) would be a third one, with device
/// buffers; it is not written yet (docs/distributed.md).</para>
/// <para><b>Determinism.</b> <see cref="SumInRankOrder(Span{float})"/> adds the ranks' values in rank order, 0 first, on
/// every rank: the result is bit-identical on every rank and from run to run for a given number of ranks, which a
/// plain MPI_Allreduce does not promise (its order depends on the algorithm the library picks for the size and the
/// group).</para>
/// </remarks>
public interface ICollective : IDisposable
{
    /// <summary>This process's index in the group, 0..<see cref="Size"/>−1. Rank 0 writes files and reports.</summary>
    int Rank { get; }

    /// <summary>Number of processes in the group, ≥ 1.</summary>
    int Size { get; }

    /// <summary>What the group runs on, in words (e.g. "OpenMPI 4.1.4, 2 ranks").</summary>
    string Description { get; }

    /// <summary>
    /// All-reduce with a fixed order: on return, <paramref name="values"/> holds Σ_r values_r on every rank, added in
    /// float32 from rank 0 to rank <see cref="Size"/>−1, ((v_0 + v_1) + v_2) + …, the same bits on every rank.
    /// </summary>
    /// <param name="values">This rank's values in; the sum out. The same length on every rank.</param>
    void SumInRankOrder(Span<float> values);

    /// <summary>As <see cref="SumInRankOrder(Span{float})"/>, in float64 (metrics: loss sums, counts).</summary>
    /// <param name="values">This rank's values in; the sum out. The same length on every rank.</param>
    void SumInRankOrder(Span<double> values);

    /// <summary>Copies rank 0's <paramref name="values"/> into every other rank's.</summary>
    /// <param name="values">Rank 0: the values sent. Other ranks: overwritten. The same length on every rank.</param>
    void Broadcast(Span<float> values);

    /// <summary>Copies rank 0's <paramref name="values"/> into every other rank's.</summary>
    /// <param name="values">Rank 0: the values sent. Other ranks: overwritten. The same length on every rank.</param>
    void Broadcast(Span<long> values);

    /// <summary>True on every rank when <paramref name="flag"/> is true on at least one (a logical or, exact): how the ranks
    /// agree to stop (a time budget, Ctrl-C) so that none waits for the others in a step they will not take.</summary>
    /// <param name="flag">This rank's vote.</param>
    bool Any(bool flag);

    /// <summary>Returns once every rank has called it.</summary>
    void Barrier();

    /// <summary>
    /// Ends every rank of the group with exit code <paramref name="exitCode"/>: what a rank does after
    /// an error, since the others would otherwise wait for it forever in their next collective call. Does not return
    /// (<see cref="SingleProcess"/> exits the process).
    /// </summary>
    /// <param name="exitCode">The exit code, non-zero.</param>
    void Abort(int exitCode);
}
