using System.Globalization;
using System.Text;

namespace FastWeights.Model.Tasks.Language;

/// <summary>
/// The characters (Unicode scalar values) a language model knows: id 0 is <see cref="Unknown"/>, ids 1..V−1 the distinct
/// characters of the training text in code-point order. A character of the validation or test text (or of a prompt) that
/// the training text lacks maps to <see cref="Unknown"/>; the model never sees it in training, so predicting it costs
/// whatever probability the model leaves on id 0, which is the honest price of a closed vocabulary.
/// </summary>
public sealed class CharVocabulary
{
    /// <summary>The id of every character outside the vocabulary.</summary>
    public const int Unknown = 0;

    /// <summary>What <see cref="Decode(int)"/> prints for <see cref="Unknown"/>: U+FFFD, the replacement character.</summary>
    public const string UnknownText = "\uFFFD";

    private readonly int[] codePoints;               // id → code point; [0] unused (Unknown)
    private readonly Dictionary<int, int> ids = new();

    private CharVocabulary(IEnumerable<int> distinct)
    {
        codePoints = [-1, .. distinct.Order()];
        for (int id = 1; id < codePoints.Length; id++) ids[codePoints[id]] = id;
    }

    /// <summary>V: the characters plus <see cref="Unknown"/>.</summary>
    public int Count => codePoints.Length;

    /// <summary>The vocabulary of <paramref name="text"/>.</summary>
    public static CharVocabulary FromText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var set = new HashSet<int>();
        foreach (Rune r in text.EnumerateRunes()) set.Add(r.Value);
        return new CharVocabulary(set);
    }

    /// <summary>The id of each character of <paramref name="text"/> (<see cref="Unknown"/> for characters not in the vocabulary).</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<int>(text.Length);
        foreach (Rune r in text.EnumerateRunes()) result.Add(ids.GetValueOrDefault(r.Value, Unknown));
        return [.. result];
    }

    /// <summary>The character of <paramref name="id"/>, <see cref="UnknownText"/> for <see cref="Unknown"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">id is outside [0, V).</exception>
    public string Decode(int id)
    {
        if ((uint)id >= (uint)codePoints.Length) throw new ArgumentOutOfRangeException(nameof(id), id, $"id must be in [0, {codePoints.Length}).");
        return id == Unknown ? UnknownText : char.ConvertFromUtf32(codePoints[id]);
    }

    /// <summary>The characters of <paramref name="tokens"/>.</summary>
    public string Decode(IEnumerable<int> tokens) => string.Concat(tokens.Select(Decode));

    /// <summary>The vocabulary as checkpoint metadata: the code points of ids 1..V−1, comma-separated decimal.</summary>
    public string ToMetadata() => string.Join(',', codePoints.Skip(1).Select(c => c.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Reads what <see cref="ToMetadata"/> wrote.</summary>
    /// <exception cref="FormatException">Not a list of distinct, increasing Unicode scalar values.</exception>
    public static CharVocabulary FromMetadata(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || !Rune.IsValid(v) || (values.Count > 0 && v <= values[^1]))
                throw new FormatException($"vocabulary entry '{part}' is not a Unicode scalar value in increasing order.");
            values.Add(v);
        }
        return new CharVocabulary(values);
    }
}
