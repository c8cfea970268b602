namespace FastWeights.Model.Tasks.Retrieval;

/// <summary>
/// One example of the retrieval task: the token ids of <c>k1 d1 … kK dK ? ? q</c> and the target class,
/// the digit value 0..9 paired with the query letter q.
/// </summary>
public sealed class RetrievalExample
{
    /// <summary>Wraps <paramref name="tokens"/> (not copied) and <paramref name="target"/>.</summary>
    /// <param name="tokens">Token ids, length 2K+3.</param>
    /// <param name="target">Digit value 0..9.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> not in 0..9.</exception>
    public RetrievalExample(int[] tokens, int target)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfNegative(target);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(target, RetrievalVocabulary.DigitCount);
        Tokens = tokens;
        Target = target;
    }

    /// <summary>Token ids, length 2K+3 (see <see cref="RetrievalVocabulary"/>).</summary>
    public int[] Tokens { get; }

    /// <summary>The target class: the digit value 0..9 paired with the query letter.</summary>
    public int Target { get; }

    /// <summary>Number of letter–digit pairs K.</summary>
    public int Pairs => (Tokens.Length - 3) / 2;

    /// <summary>E.g. <c>c9k8j3f1??c -&gt; 9</c>.</summary>
    public override string ToString() => $"{RetrievalVocabulary.Format(Tokens)} -> {Target}";
}
