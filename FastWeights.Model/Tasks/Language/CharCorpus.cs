namespace FastWeights.Model.Tasks.Language;

/// <summary>
/// A text split by position into training, validation and test parts (the first 1 − v − t of its characters, then the
/// next v, then the last t), encoded with the vocabulary of the training part (<see cref="CharVocabulary"/>).
/// Splitting by position, not by shuffled lines, keeps the held-out text unseen prose rather than neighbours of training
/// sentences.
/// </summary>
public sealed class CharCorpus
{
    private CharCorpus(CharVocabulary vocabulary, int[] train, int[] validation, int[] test)
    {
        Vocabulary = vocabulary; Train = train; Validation = validation; Test = test;
    }

    /// <summary>The training part's characters, plus Unknown.</summary>
    public CharVocabulary Vocabulary { get; }
    /// <summary>Training ids.</summary>
    public int[] Train { get; }
    /// <summary>Validation ids (characters unseen in training are <see cref="CharVocabulary.Unknown"/>).</summary>
    public int[] Validation { get; }
    /// <summary>Test ids (characters unseen in training are <see cref="CharVocabulary.Unknown"/>).</summary>
    public int[] Test { get; }

    /// <summary>Splits <paramref name="text"/> (counted in Unicode scalar values).</summary>
    /// <param name="text">The whole text.</param>
    /// <param name="validationFraction">v in (0, 0.5).</param>
    /// <param name="testFraction">t in (0, 0.5).</param>
    /// <exception cref="ArgumentOutOfRangeException">A fraction is out of range.</exception>
    /// <exception cref="ArgumentException">A part would have fewer than 2 characters.</exception>
    public static CharCorpus Create(string text, double validationFraction = 0.05, double testFraction = 0.05)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!(validationFraction > 0 && validationFraction < 0.5)) throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "must lie in (0, 0.5).");
        if (!(testFraction > 0 && testFraction < 0.5)) throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "must lie in (0, 0.5).");
        var runes = text.EnumerateRunes().Select(r => r.ToString()).ToArray();
        int n = runes.Length;
        int testCount = (int)(n * testFraction), validationCount = (int)(n * validationFraction);
        int trainCount = n - testCount - validationCount;
        if (trainCount < 2 || validationCount < 2 || testCount < 2)
            throw new ArgumentException($"the text has {n} characters: too few to split into training, validation ({validationFraction:G3}) and test ({testFraction:G3}) parts of ≥ 2 each.", nameof(text));
        string Part(int start, int count) => string.Concat(runes.AsSpan(start, count).ToArray());
        string train = Part(0, trainCount);
        var vocabulary = CharVocabulary.FromText(train);
        return new CharCorpus(vocabulary, vocabulary.Encode(train), vocabulary.Encode(Part(trainCount, validationCount)),
            vocabulary.Encode(Part(trainCount + validationCount, testCount)));
    }
}
