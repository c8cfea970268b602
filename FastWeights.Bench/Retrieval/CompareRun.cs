using System.Globalization;
using FastWeights.Bench.Reporting;
using FastWeights.Bench.Runs;
using FastWeights.Model.Layers;
using FastWeights.Model.Tasks.Retrieval;

namespace FastWeights.Bench.Retrieval;

/// <summary>
/// `retrieval compare`: trains each model with the same data, seeds and budget (steps by default, wall time with
/// --time-budget; the table says which), one after the other, into
/// &lt;out&gt;/&lt;model&gt;/, then writes compare.png (validation accuracy and loss vs step) and table.md.
/// </summary>
internal static class CompareRun
{
    /// <summary>The comparison figure in the compare folder (also what `plot` redraws).</summary>
    public const string PlotFile = "compare.png";

    public static int Execute(TrainSettings settings, IReadOnlyList<RecurrentKind> kinds, TextWriter stdout)
    {
        string root = settings.OutputDirectory ?? Path.Combine("runs", $"compare-R{settings.Architecture.Hidden}");
        stdout.WriteLine($"compare: {kinds.Count} models, each with the same budget: {Budget(settings)}");
        var outcomes = Comparison.TrainEach(root, kinds, (kind, folder, cancel) =>
            TrainRun.Execute(settings with { Architecture = settings.Architecture with { Kind = kind }, OutputDirectory = folder, Resume = null }, stdout, cancel));
        var runs = Comparison.Metrics(outcomes, o => o.RunDirectory);
        string plot = Path.Combine(root, PlotFile);
        ComparePlot.Save(plot, runs, $"Associative retrieval, K={settings.Pairs}, R={settings.Architecture.Hidden}");

        string table = Comparison.Table($"Budget per model: {Budget(settings)}.",
            "| model | R | steps | wall s | validation accuracy | test accuracy | test error |", "|---|---:|---:|---:|---:|---:|---:|",
            outcomes.Select(r => string.Create(CultureInfo.InvariantCulture,
                $"| {RetrievalModelConfig.KindName(r.Kind)} | {settings.Architecture.Hidden} | {r.Outcome.Steps} | {r.Outcome.WallSeconds:F0} | {r.Outcome.ValidationAccuracy * 100:F2}% | {r.Outcome.TestAccuracy * 100:F2}% | {(1 - r.Outcome.TestAccuracy) * 100:F2}% |")));
        return Comparison.Finish(root, table, plot, outcomes.Count, kinds.Count, stdout);
    }

    /// <summary>The budget every model gets, saying whether it is steps or time: "5000 steps", "720 s of wall time (or 20000 steps)".</summary>
    public static string Budget(TrainSettings s) =>
        (s.TimeBudget is { } t ? $"{t.TotalSeconds:F0} s of wall time (or {s.Steps} steps, whichever comes first)" : $"{s.Steps} steps")
        + (s.TargetAccuracy is { } a ? $", stopping early at {a * 100:G4}% validation accuracy" : "");
}
