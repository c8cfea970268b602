using System.Globalization;
using FastWeights.Bench.Runs;
using FastWeights.Model.Layers;
using FastWeights.Model.Tasks.Retrieval;

namespace FastWeights.Bench.Lm;

/// <summary>
/// `lm compare`: trains each model on the same text with the same budget (wall time by default), one after the other,
/// into &lt;out&gt;/&lt;model&gt;/, then writes compare.png and table.md (bits per character, steps, characters per second,
/// memory).
/// </summary>
internal static class LmCompareRun
{
    public static int Execute(LmSettings settings, IReadOnlyList<RecurrentKind> kinds, TextWriter stdout)
    {
        return Comparison.Run("lm compare", settings.OutputDirectory, $"lm-compare-R{settings.Architecture.Hidden}", kinds, Budget(settings), (kind, folder, cancel) =>
            LmTrainRun.Execute(settings with { Architecture = settings.Architecture with { Kind = kind }, OutputDirectory = folder, Resume = null }, stdout, cancel),
            o => o.RunDirectory, $"Character LM, R={settings.Architecture.Hidden}, T={settings.Window}",
            $"; batch {settings.Training.BatchSize} × window {settings.Window}, R={settings.Architecture.Hidden}, E={settings.Architecture.Embedding}",
            "| model | steps | train s | chars/s | memory MiB | validation BPC | test BPC |", "|---|---:|---:|---:|---:|---:|---:|",
            r => string.Create(CultureInfo.InvariantCulture,
                $"| {RetrievalModelConfig.KindName(r.Kind)} | {r.Outcome.Steps} | {r.Outcome.TrainSeconds:F0} | {r.Outcome.CharactersPerSecond:F0} | {r.Outcome.MemoryBytes / 1048576.0:F0} | {r.Outcome.ValidationBpc:F3} | {r.Outcome.TestBpc:F3} |"),
            stdout);
    }

    private static string Budget(LmSettings s) =>
        s.TimeBudget is { } t ? $"{t.TotalSeconds:F0} s of wall time (or {s.Steps} steps, whichever comes first)" : $"{s.Steps} steps";
}
