using System.Globalization;
using FastWeights.Bench.Cli;

namespace FastWeights.Bench.Runs;

/// <summary>Parses durations like <c>90s</c>, <c>12m</c>, <c>1.5h</c> or a plain number of seconds.</summary>
internal static class TimeBudget
{
    public static TimeSpan Parse(string text, string option)
    {
        string t = text.Trim().ToLowerInvariant();
        double factor = 1;
        if (t.EndsWith('h')) { factor = 3600; t = t[..^1]; }
        else if (t.EndsWith('m')) { factor = 60; t = t[..^1]; }
        else if (t.EndsWith('s')) { t = t[..^1]; }
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v > 0) || !double.IsFinite(v))
            throw new CommandInputException($"{option} must be a positive duration such as 90s, 12m or 1.5h, got '{text}'.");
        return TimeSpan.FromSeconds(v * factor);
    }
}
