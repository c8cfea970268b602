using System.Text;

namespace FastWeights.Model.Tasks.Retrieval;

/// <summary>
/// The 37 tokens of the associative retrieval task: letters <c>a</c>–<c>z</c> are ids 0..25, digits
/// <c>0</c>–<c>9</c> are ids 26..35 and the query mark <c>?</c> is id 36.
/// </summary>
public static class RetrievalVocabulary
{
    /// <summary>Number of distinct tokens (37).</summary>
    public const int Size = 37;

    /// <summary>Number of letters (26); letter ids are 0..25.</summary>
    public const int LetterCount = 26;

    /// <summary>Number of digits (10), also the number of target classes.</summary>
    public const int DigitCount = 10;

    /// <summary>Id of the digit <c>0</c>; digit d has id <see cref="FirstDigit"/> + d.</summary>
    public const int FirstDigit = 26;

    /// <summary>Id of the query mark <c>?</c>.</summary>
    public const int QueryMark = 36;

    /// <summary>The id of a character.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not one of <c>a</c>–<c>z</c>, <c>0</c>–<c>9</c>, <c>?</c>.</exception>
    public static int Encode(char c) => c switch
    {
        >= 'a' and <= 'z' => c - 'a',
        >= '0' and <= '9' => FirstDigit + (c - '0'),
        '?' => QueryMark,
        _ => throw new ArgumentOutOfRangeException(nameof(c), c, "Not a token of the retrieval task (a-z, 0-9, ?)."),
    };

    /// <summary>The ids of every character of <paramref name="text"/>, e.g. <c>"c9k8??c"</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A character outside the vocabulary.</exception>
    public static int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new int[text.Length];
        for (int i = 0; i < text.Length; i++) ids[i] = Encode(text[i]);
        return ids;
    }

    /// <summary>The character of a token id.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> not in 0..36.</exception>
    public static char Decode(int id) => id switch
    {
        >= 0 and < LetterCount => (char)('a' + id),
        >= FirstDigit and < QueryMark => (char)('0' + (id - FirstDigit)),
        QueryMark => '?',
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, $"Token ids are 0..{Size - 1}."),
    };

    /// <summary>The token sequence as text, e.g. <c>c9k8j3f1??c</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id not in 0..36.</exception>
    public static string Format(int[] tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return Format(tokens.AsSpan());
    }

    /// <summary>The token sequence as text, e.g. <c>c9k8j3f1??c</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id not in 0..36.</exception>
    public static string Format(ReadOnlySpan<int> tokens)
    {
        var text = new StringBuilder(tokens.Length);
        foreach (int id in tokens) text.Append(Decode(id));
        return text.ToString();
    }

    /// <summary>Whether <paramref name="id"/> is a letter (0..25).</summary>
    public static bool IsLetter(int id) => id is >= 0 and < LetterCount;

    /// <summary>Whether <paramref name="id"/> is a digit (26..35).</summary>
    public static bool IsDigit(int id) => id is >= FirstDigit and < QueryMark;

    /// <summary>The id of digit <paramref name="digit"/> (0..9).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="digit"/> not in 0..9.</exception>
    public static int DigitToken(int digit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(digit);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(digit, DigitCount);
        return FirstDigit + digit;
    }

    /// <summary>The digit value 0..9 of a digit id (the class index of a target).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a digit id.</exception>
    public static int DigitValue(int id)
    {
        if (!IsDigit(id)) throw new ArgumentOutOfRangeException(nameof(id), id, "Not a digit token (26..35).");
        return id - FirstDigit;
    }
}
