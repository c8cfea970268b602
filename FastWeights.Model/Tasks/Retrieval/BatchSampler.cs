namespace FastWeights.Model.Tasks.Retrieval;

/// <summary>
/// Copies mini-batches of a <see cref="RetrievalSplit"/> into arrays the caller owns (no allocation per
/// batch). Training: <see cref="Shuffle"/> at the start of each epoch, then <see cref="NextTrainingBatch"/>
/// until it returns false; the last partial batch is dropped. Evaluation: <see cref="EvaluationBatch"/>
/// for b in 0..<see cref="EvaluationBatchCount"/>−1 walks the whole split in its stored order, the last
/// batch possibly partial.
/// </summary>
public sealed class BatchSampler
{
    private readonly int[] _order;
    private int _position;

    /// <summary>A sampler over <paramref name="split"/> in its stored order (until the first <see cref="Shuffle"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> &lt; 1.</exception>
    public BatchSampler(RetrievalSplit split, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(split);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        Split = split;
        BatchSize = batchSize;
        _order = new int[split.Count];
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
    }

    /// <summary>The split batches are drawn from.</summary>
    public RetrievalSplit Split { get; }

    /// <summary>Examples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Length a tokens buffer needs: <see cref="BatchSize"/> · sequence length.</summary>
    public int TokensPerBatch => BatchSize * Split.SequenceLength;

    /// <summary>Full batches in one training epoch: ⌊Count / BatchSize⌋.</summary>
    public int TrainingBatchesPerEpoch => Split.Count / BatchSize;

    /// <summary>Batches covering the whole split: ⌈Count / BatchSize⌉.</summary>
    public int EvaluationBatchCount => (Split.Count + BatchSize - 1) / BatchSize;

    /// <summary>
    /// Starts a training epoch: a uniform permutation of the split drawn from <paramref name="rng"/>
    /// (independent of earlier epochs' orders), read from its beginning.
    /// </summary>
    public void Shuffle(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        rng.Shuffle(_order);
        _position = 0;
    }

    /// <summary>Restarts the current epoch's order from its beginning, without reshuffling.</summary>
    public void Reset() => _position = 0;

    /// <summary>
    /// Copies the next full batch of the current epoch into <paramref name="tokens"/> [BatchSize, 2K+3]
    /// and <paramref name="targets"/> [BatchSize]. Returns false, copying nothing, when fewer than
    /// <see cref="BatchSize"/> examples are left: the epoch is over.
    /// </summary>
    /// <exception cref="ArgumentException">A buffer shorter than one batch.</exception>
    public bool NextTrainingBatch(Span<int> tokens, Span<int> targets)
    {
        CheckBuffers(tokens, targets);
        if (_order.Length - _position < BatchSize) return false;
        Copy(_order.AsSpan(_position, BatchSize), tokens, targets);
        _position += BatchSize;
        return true;
    }

    /// <summary>
    /// Copies evaluation batch <paramref name="batch"/> (examples b·BatchSize onwards, in stored order) and
    /// returns how many examples it holds: <see cref="BatchSize"/>, or fewer for the last batch. Rows past
    /// that count are zeroed.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> not in 0..EvaluationBatchCount−1.</exception>
    /// <exception cref="ArgumentException">A buffer shorter than one batch.</exception>
    public int EvaluationBatch(int batch, Span<int> tokens, Span<int> targets)
    {
        CheckBuffers(tokens, targets);
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(batch, EvaluationBatchCount);
        int start = batch * BatchSize;
        int size = Math.Min(BatchSize, Split.Count - start);
        int length = Split.SequenceLength;
        Split.Tokens.AsSpan(start * length, size * length).CopyTo(tokens);
        Split.Targets.AsSpan(start, size).CopyTo(targets);
        tokens[(size * length)..TokensPerBatch].Clear();
        targets[size..BatchSize].Clear();
        return size;
    }

    private void Copy(ReadOnlySpan<int> indices, Span<int> tokens, Span<int> targets)
    {
        int length = Split.SequenceLength;
        for (int r = 0; r < indices.Length; r++)
        {
            int i = indices[r];
            Split.Tokens.AsSpan(i * length, length).CopyTo(tokens.Slice(r * length, length));
            targets[r] = Split.Targets[i];
        }
    }

    private void CheckBuffers(Span<int> tokens, Span<int> targets)
    {
        if (tokens.Length < TokensPerBatch)
            throw new ArgumentException($"The tokens buffer holds {tokens.Length} ids; a batch needs {TokensPerBatch}.", nameof(tokens));
        if (targets.Length < BatchSize)
            throw new ArgumentException($"The targets buffer holds {targets.Length}; a batch needs {BatchSize}.", nameof(targets));
    }
}
