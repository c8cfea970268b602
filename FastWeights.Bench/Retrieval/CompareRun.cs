using System.Globalization;
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
    public static int Execute(TrainSettings settings, IReadOnlyList<RecurrentKind> kinds, TextWriter stdout)
    {
        return Comparison.Run("compare", settings.OutputDirectory, $"compare-R{settings.Architecture.Hidden}", kinds, Budget(settings), (kind, folder, cancel) =>
            TrainRun.Execute(settings with { Architecture = settings.Architecture with { Kind = kind }, OutputDirectory = folder, Resume = null }, stdout, cancel),
            o => o.RunDirectory, $"Associative retrieval, K={settings.Pairs}, R={settings.Architecture.Hidden}", "",
            "| model | R | steps | wall s | validation accuracy | test accuracy | test error |", "|---|---:|---:|---:|---:|---:|---:|",
            r => string.Create(CultureInfo.InvariantCulture,
                $"| {RetrievalModelConfig.KindName(r.Kind)} | {settings.Architecture.Hidden} | {r.Outcome.Steps} | {r.Outcome.WallSeconds:F0} | {r.Outcome.ValidationAccuracy * 100:F2}% | {r.Outcome.TestAccuracy * 100:F2}% | {(1 - r.Outcome.TestAccuracy) * 100:F2}% |"),
            stdout);
    }

    /// <summary>The budget every model gets, saying whether it is steps or time: "5000 steps", "720 s of wall time (or 20000 steps)".</summary>
    public static string Budget(TrainSettings s) =>
        (s.TimeBudget is { } t ? $"{t.TotalSeconds:F0} s of wall time (or {s.Steps} steps, whichever comes first)" : $"{s.Steps} steps")
        + (s.TargetAccuracy is { } a ? $", stopping early at {a * 100:G4}% validation accuracy" : "");
}
