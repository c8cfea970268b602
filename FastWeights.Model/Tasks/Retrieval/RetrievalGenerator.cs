namespace FastWeights.Model.Tasks.Retrieval;

/// <summary>
/// Draws examples of the associative retrieval task (Ba et al. 2016): K letters without replacement
/// from a–z, each followed by a digit drawn with replacement from 0–9, then <c>??</c>, then one of the K
/// letters chosen uniformly; the target is the digit that followed that letter.
/// </summary>
public static class RetrievalGenerator
{
    /// <summary>Largest number of pairs: every letter used once.</summary>
    public const int MaxPairs = RetrievalVocabulary.LetterCount;

    /// <summary>Tokens in one example with <paramref name="pairs"/> pairs: 2K+3.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pairs"/> not in 1..26.</exception>
    public static int SequenceLength(int pairs)
    {
        ValidatePairs(pairs);
        return 2 * pairs + 3;
    }

    /// <summary>A fresh example with <paramref name="pairs"/> pairs, drawn from <paramref name="rng"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pairs"/> not in 1..26.</exception>
    public static RetrievalExample Sample(Random rng, int pairs)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var tokens = new int[SequenceLength(pairs)];
        int target = SampleInto(rng, pairs, tokens);
        return new RetrievalExample(tokens, target);
    }

    /// <summary>Writes one example into <paramref name="tokens"/> (length 2K+3) and returns its target.</summary>
    internal static int SampleInto(Random rng, int pairs, Span<int> tokens)
    {
        Span<int> letters = stackalloc int[RetrievalVocabulary.LetterCount];
        for (int i = 0; i < letters.Length; i++) letters[i] = i;
        // Partial Fisher–Yates: the first K entries become a uniform draw without replacement.
        for (int i = 0; i < pairs; i++)
        {
            int j = rng.Next(i, letters.Length);
            (letters[i], letters[j]) = (letters[j], letters[i]);
            tokens[2 * i] = letters[i];
            tokens[2 * i + 1] = RetrievalVocabulary.FirstDigit + rng.Next(RetrievalVocabulary.DigitCount);
        }
        int query = rng.Next(pairs);
        tokens[2 * pairs] = RetrievalVocabulary.QueryMark;
        tokens[2 * pairs + 1] = RetrievalVocabulary.QueryMark;
        tokens[2 * pairs + 2] = tokens[2 * query];
        return tokens[2 * query + 1] - RetrievalVocabulary.FirstDigit;
    }

    internal static void ValidatePairs(int pairs)
    {
        if (pairs is < 1 or > MaxPairs)
            throw new ArgumentOutOfRangeException(nameof(pairs), pairs, $"The number of pairs must be in 1..{MaxPairs}.");
    }
}
