namespace FastWeights.Model.Distributed;

/// <summary>
/// The group of one: rank 0 of 1. Sums and broadcasts leave the values as they are; a run with it is exactly a run
/// without data parallelism.
/// </summary>
public sealed class SingleProcess : ICollective
{
    /// <summary>The one instance (it holds no state).</summary>
    public static readonly SingleProcess Instance = new();

    private SingleProcess() { }

    /// <inheritdoc/>
    public int Rank => 0;

    /// <inheritdoc/>
    public int Size => 1;

    /// <inheritdoc/>
    public string Description => "one process";

    /// <inheritdoc/>
    public void SumInRankOrder(Span<float> values) { }

    /// <inheritdoc/>
    public void SumInRankOrder(Span<double> values) { }

    /// <inheritdoc/>
    public void Broadcast(Span<float> values) { }

    /// <inheritdoc/>
    public void Broadcast(Span<long> values) { }

    /// <inheritdoc/>
    public bool Any(bool flag) => flag;

    /// <inheritdoc/>
    public void Barrier() { }

    /// <inheritdoc/>
    public void Abort(int exitCode) => Environment.Exit(exitCode);

    /// <summary>Nothing to free.</summary>
    public void Dispose() { }
}
