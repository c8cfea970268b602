using FastWeights.Model.Parameters;
using FastWeights.Model.Training;

namespace FastWeights.Model.Distributed;

/// <summary>
/// Data parallelism over an <see cref="ICollective"/>: every rank holds the whole model, takes its own slice of every
/// global batch, and after its backward the ranks' gradients are averaged, so that every rank takes the same optimizer
/// step. Gradients are staged through the host (device → host, <see cref="ICollective.SumInRankOrder(Span{float})"/>,
/// host → device), the only path an MPI without GPU support has; NCCL would reduce device buffers in place.
/// </summary>
/// <remarks>
/// <para><b>Equal to one process with the whole batch, up to rounding.</b> Each rank's backward scales its loss by
/// 1/(B/N) (the mean over its slice); the average (1/N)·Σ_r g_r is then the mean over the global batch of B. When B
/// and N are powers of two the scalings are exact, and the only difference from one process computing the batch of B
/// is the order in which the per-example contributions are added: within a rank by the kernels, across ranks in rank
/// order. docs/distributed.md §2 states the bound.</para>
/// <para><b>Identical on every rank.</b> The average is computed by the same float32 operations in the same order on
/// every rank, so every rank uploads the same bits, Adam (deterministic) makes the same step, and the parameters stay
/// bit-identical across ranks for any number of steps, with no re-broadcast.</para>
/// </remarks>
public sealed class DataParallel
{
    private readonly Parameter[] parameters;
    private readonly float[] flat;

    /// <summary>Prepares the host staging buffer for <paramref name="parameters"/>' gradients.</summary>
    /// <param name="collective">The group.</param>
    /// <param name="parameters">The model's parameters, in the same order on every rank.</param>
    /// <exception cref="ArgumentException">The parameters hold more than 2^31 − 1 values in all (one MPI message).</exception>
    public DataParallel(ICollective collective, IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(collective);
        ArgumentNullException.ThrowIfNull(parameters);
        Collective = collective;
        this.parameters = [.. parameters];
        long total = this.parameters.Sum(p => p.Length);
        if (total > int.MaxValue) throw new ArgumentException($"the parameters hold {total} values, more than one message of 2^31 − 1.", nameof(parameters));
        flat = new float[total];
    }

    /// <summary>The group.</summary>
    public ICollective Collective { get; }

    /// <summary>
    /// The rows of a global batch of <paramref name="globalBatch"/> that this rank takes: rows
    /// [Rank·B/N, (Rank+1)·B/N).
    /// </summary>
    /// <param name="globalBatch">B, divisible by the number of ranks N.</param>
    /// <exception cref="ArgumentException"><paramref name="globalBatch"/> is not a positive multiple of N.</exception>
    public (int Start, int Count) Slice(int globalBatch)
    {
        int local = LocalBatch(globalBatch, Collective.Size);
        return (Collective.Rank * local, local);
    }

    /// <summary>B/N, the examples each of <paramref name="ranks"/> ranks takes from a global batch of <paramref name="globalBatch"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="globalBatch"/> is not a positive multiple of <paramref name="ranks"/>.</exception>
    public static int LocalBatch(int globalBatch, int ranks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ranks, 1);
        if (globalBatch < 1 || globalBatch % ranks != 0)
            throw new ArgumentException($"the batch of {globalBatch} does not split evenly over {ranks} ranks: give a batch that is a multiple of {ranks}.", nameof(globalBatch));
        return globalBatch / ranks;
    }

    /// <summary>
    /// Replaces every parameter's gradient by the average over the ranks, (1/N)·Σ_r g_r with the sum in rank order.
    /// Waits for <paramref name="stream"/> (the backward must be queued on it). With one rank nothing happens.
    /// </summary>
    /// <param name="stream">The stream the backward ran on.</param>
    public void AverageGradients(AcceleratorStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (Collective.Size == 1) return;
        long offset = 0;
        foreach (Parameter p in parameters)
        {
            p.Grad.View.CopyToCPU(stream, flat.AsSpan((int)offset, (int)p.Length));
            offset += p.Length;
        }
        stream.Synchronize();
        Collective.SumInRankOrder(flat);
        float inverse = 1f / Collective.Size;
        bool exact = (Collective.Size & (Collective.Size - 1)) == 0;
        // 1/N is exact for a power of two; otherwise divide, one rounding per value either way.
        if (exact) for (int i = 0; i < flat.Length; i++) flat[i] *= inverse;
        else for (int i = 0; i < flat.Length; i++) flat[i] /= Collective.Size;
        offset = 0;
        foreach (Parameter p in parameters)
        {
            p.Grad.View.CopyFromCPU(stream, flat.AsSpan((int)offset, (int)p.Length));
            offset += p.Length;
        }
        stream.Synchronize();
    }

    /// <summary>
    /// Makes every rank's parameters (and, when given, Adam's moments and step count) rank 0's: after the initial values
    /// are drawn and after a resume, so that the ranks start from the same bits whatever each one read or drew.
    /// </summary>
    /// <param name="optimizer">The optimizer over the same parameters, or null.</param>
    public void BroadcastFromRoot(AdamOptimizer? optimizer)
    {
        if (Collective.Size == 1) return;
        foreach (Parameter p in parameters) BroadcastBuffer(p.Value);
        if (optimizer is null) return;
        foreach (var (_, m, v) in optimizer.State)
        {
            BroadcastBuffer(m);
            BroadcastBuffer(v);
        }
        Span<long> step = [optimizer.StepCount];
        Collective.Broadcast(step);
        optimizer.StepCount = step[0];
    }

    private void BroadcastBuffer(MemoryBuffer1D<float, Stride1D.Dense> buffer)
    {
        buffer.Accelerator.Synchronize();
        float[] host = buffer.GetAsArray1D();
        Collective.Broadcast(host);
        buffer.CopyFromCPU(host);
    }
}
