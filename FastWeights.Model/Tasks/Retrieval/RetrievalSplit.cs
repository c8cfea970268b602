namespace FastWeights.Model.Tasks.Retrieval;

/// <summary>
/// One split of the retrieval task held as flat arrays ready to upload: <see cref="Tokens"/> is
/// row-major [<see cref="Count"/>, <see cref="SequenceLength"/>], <see cref="Targets"/> is
/// [<see cref="Count"/>] with digit values 0..9.
/// </summary>
public sealed class RetrievalSplit
{
    /// <summary>Wraps the arrays (not copied).</summary>
    /// <param name="pairs">K, 1..26.</param>
    /// <param name="tokens">[count, 2K+3] token ids, row-major.</param>
    /// <param name="targets">[count] digit values.</param>
    /// <exception cref="ArgumentException">The lengths do not agree.</exception>
    public RetrievalSplit(int pairs, int[] tokens, int[] targets)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(targets);
        int length = RetrievalGenerator.SequenceLength(pairs);
        if (tokens.Length != (long)targets.Length * length)
            throw new ArgumentException(
                $"{tokens.Length} tokens do not make {targets.Length} sequences of length {length}.", nameof(tokens));
        Pairs = pairs;
        SequenceLength = length;
        Tokens = tokens;
        Targets = targets;
    }

    /// <summary>Number of letter–digit pairs K.</summary>
    public int Pairs { get; }

    /// <summary>Tokens per example, 2K+3.</summary>
    public int SequenceLength { get; }

    /// <summary>Number of examples.</summary>
    public int Count => Targets.Length;

    /// <summary>Token ids, row-major [<see cref="Count"/>, <see cref="SequenceLength"/>].</summary>
    public int[] Tokens { get; }

    /// <summary>Target digit values 0..9, [<see cref="Count"/>].</summary>
    public int[] Targets { get; }

    /// <summary>The tokens of example <paramref name="i"/>, without copying.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="i"/> not in 0..Count−1.</exception>
    public ReadOnlySpan<int> TokensOf(int i)
    {
        CheckIndex(i);
        return Tokens.AsSpan(i * SequenceLength, SequenceLength);
    }

    /// <summary>Example <paramref name="i"/> as an object (its tokens copied).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="i"/> not in 0..Count−1.</exception>
    public RetrievalExample Example(int i) => new(TokensOf(i).ToArray(), Targets[i]);

    private void CheckIndex(int i)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, Count);
    }
}

/// <summary>The three disjoint splits made by <see cref="RetrievalDataset.Create"/>.</summary>
/// <param name="Train">Training examples.</param>
/// <param name="Validation">Validation examples.</param>
/// <param name="Test">Test examples.</param>
/// <param name="Seed">The seed they were generated from.</param>
public sealed record RetrievalSplits(RetrievalSplit Train, RetrievalSplit Validation, RetrievalSplit Test, int Seed)
{
    /// <summary>Number of letter–digit pairs K.</summary>
    public int Pairs => Train.Pairs;
}
