using System.Globalization;
using FastWeights.Bench.Reporting;
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
        string root = settings.OutputDirectory ?? Path.Combine("runs", $"lm-compare-R{settings.Architecture.Hidden}");
        stdout.WriteLine($"lm compare: {kinds.Count} models, each with the same budget: {Budget(settings)}");
        var outcomes = Comparison.TrainEach(root, kinds, (kind, folder, cancel) =>
            LmTrainRun.Execute(settings with { Architecture = settings.Architecture with { Kind = kind }, OutputDirectory = folder, Resume = null }, stdout, cancel));
        var runs = Comparison.Metrics(outcomes, o => o.RunDirectory);
        string plot = Path.Combine(root, "compare.png");
        ComparePlot.Save(plot, runs, $"Character LM, R={settings.Architecture.Hidden}, T={settings.Window}");

        string table = Comparison.Table(
            $"Budget per model: {Budget(settings)}; batch {settings.Training.BatchSize} × window {settings.Window}, R={settings.Architecture.Hidden}, E={settings.Architecture.Embedding}.",
            "| model | steps | train s | chars/s | memory MiB | validation BPC | test BPC |", "|---|---:|---:|---:|---:|---:|---:|",
            outcomes.Select(r => string.Create(CultureInfo.InvariantCulture,
                $"| {RetrievalModelConfig.KindName(r.Kind)} | {r.Outcome.Steps} | {r.Outcome.TrainSeconds:F0} | {r.Outcome.CharactersPerSecond:F0} | {r.Outcome.MemoryBytes / 1048576.0:F0} | {r.Outcome.ValidationBpc:F3} | {r.Outcome.TestBpc:F3} |")));
        return Comparison.Finish(root, table, plot, outcomes.Count, kinds.Count, stdout);
    }

    private static string Budget(LmSettings s) =>
        s.TimeBudget is { } t ? $"{t.TotalSeconds:F0} s of wall time (or {s.Steps} steps, whichever comes first)" : $"{s.Steps} steps";
}
