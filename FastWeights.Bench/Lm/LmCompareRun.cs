using System.Globalization;
using System.Text;
using FastWeights.Bench.Reporting;
using FastWeights.Bench.Runs;
using FastWeights.Model.Layers;
using FastWeights.Model.Models;

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

        var table = new StringBuilder();
        table.AppendLine($"Budget per model: {Budget(settings)}; batch {settings.Training.BatchSize} × window {settings.Window}, R={settings.Architecture.Hidden}, E={settings.Architecture.Embedding}.");
        table.AppendLine();
        table.AppendLine("| model | steps | train s | chars/s | memory MiB | validation BPC | test BPC |");
        table.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (kind, o) in outcomes)
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {RetrievalModelConfig.KindName(kind)} | {o.Steps} | {o.TrainSeconds:F0} | {o.CharactersPerSecond:F0} | {o.MemoryBytes / 1048576.0:F0} | {o.ValidationBpc:F3} | {o.TestBpc:F3} |"));
        return Comparison.Finish(root, table.ToString(), plot, outcomes.Count, kinds.Count, stdout);
    }

    private static string Budget(LmSettings s) =>
        s.TimeBudget is { } t ? $"{t.TotalSeconds:F0} s of wall time (or {s.Steps} steps, whichever comes first)" : $"{s.Steps} steps";
}
