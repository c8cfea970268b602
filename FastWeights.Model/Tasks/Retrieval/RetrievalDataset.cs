using System.Numerics;

namespace FastWeights.Model.Tasks.Retrieval;

/// <summary>
/// Fixed train/validation/test sets of the retrieval task, deterministic from a seed, with no token
/// sequence occurring twice (neither within a split nor across splits).
/// </summary>
/// <remarks>
/// One <see cref="Random"/>(seed) draws the examples with <see cref="RetrievalGenerator"/> in the order
/// test, validation, train; a draw whose sequence was already produced (in any split) is rejected and
/// drawn again. So the test set of a seed does not depend on the sizes of the other splits, and the
/// validation set depends only on the test size.
/// </remarks>
public static class RetrievalDataset
{
    /// <summary>Makes the three splits.</summary>
    /// <param name="pairs">K, 1..26; each sequence has 2K+3 tokens.</param>
    /// <param name="train">Training examples, ≥ 0.</param>
    /// <param name="validation">Validation examples, ≥ 0.</param>
    /// <param name="test">Test examples, ≥ 0.</param>
    /// <param name="seed">Seed of the <see cref="Random"/> that draws every example.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pairs"/> not in 1..26, or a negative size.</exception>
    /// <exception cref="ArgumentException">More examples in all than <see cref="DistinctSequences"/>(<paramref name="pairs"/>).</exception>
    public static RetrievalSplits Create(int pairs = 4, int train = 100_000, int validation = 10_000, int test = 20_000, int seed = 1)
    {
        RetrievalGenerator.ValidatePairs(pairs);
        ArgumentOutOfRangeException.ThrowIfNegative(train);
        ArgumentOutOfRangeException.ThrowIfNegative(validation);
        ArgumentOutOfRangeException.ThrowIfNegative(test);
        long total = (long)train + validation + test;
        long capacity = DistinctSequences(pairs);
        if (total > capacity)
            throw new ArgumentException(
                $"{total} distinct sequences requested but only {capacity} exist with {pairs} pair(s).");

        var rng = new Random(seed);
        var seen = new SequenceSet(pairs, (int)Math.Min(total, int.MaxValue));
        var testSplit = Generate(rng, pairs, test, seen);
        var validationSplit = Generate(rng, pairs, validation, seen);
        var trainSplit = Generate(rng, pairs, train, seen);
        return new RetrievalSplits(trainSplit, validationSplit, testSplit, seed);
    }

    /// <summary>
    /// How many distinct token sequences exist with <paramref name="pairs"/> pairs:
    /// 26!/(26−K)! · 10^K · K (ordered distinct letters, digits, query position), saturated at <see cref="long.MaxValue"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pairs"/> not in 1..26.</exception>
    public static long DistinctSequences(int pairs)
    {
        RetrievalGenerator.ValidatePairs(pairs);
        BigInteger n = pairs;
        for (int i = 0; i < pairs; i++) n *= (RetrievalVocabulary.LetterCount - i) * RetrievalVocabulary.DigitCount;
        return n > long.MaxValue ? long.MaxValue : (long)n;
    }

    private static RetrievalSplit Generate(Random rng, int pairs, int count, SequenceSet seen)
    {
        int length = RetrievalGenerator.SequenceLength(pairs);
        var tokens = new int[(long)count * length];
        var targets = new int[count];
        for (int i = 0; i < count; i++)
        {
            var row = tokens.AsSpan(i * length, length);
            int target;
            do target = RetrievalGenerator.SampleInto(rng, pairs, row);
            while (!seen.Add(row));
            targets[i] = target;
        }
        return new RetrievalSplit(pairs, tokens, targets);
    }

    /// <summary>
    /// The sequences produced so far. Up to 6 pairs a sequence packs into a long (5 bits a letter, 4 a
    /// digit, 5 the query; the <c>??</c> never change); beyond that it is kept as a short string.
    /// </summary>
    private sealed class SequenceSet(int pairs, int capacity)
    {
        private const int MaxPackedPairs = 6;
        private readonly HashSet<long>? _packed = pairs <= MaxPackedPairs ? new HashSet<long>(capacity) : null;
        private readonly HashSet<string>? _text = pairs <= MaxPackedPairs ? null : new HashSet<string>(capacity, StringComparer.Ordinal);

        public bool Add(ReadOnlySpan<int> tokens)
        {
            if (_packed is not null)
            {
                long key = 0;
                for (int i = 0; i < pairs; i++)
                    key = (key << 9) | ((long)tokens[2 * i] << 4) | (long)(tokens[2 * i + 1] - RetrievalVocabulary.FirstDigit);
                key = (key << 5) | (long)tokens[2 * pairs + 2];
                return _packed.Add(key);
            }
            Span<char> chars = stackalloc char[tokens.Length];
            for (int i = 0; i < tokens.Length; i++) chars[i] = (char)('0' + tokens[i]);
            return _text!.Add(new string(chars));
        }
    }
}
