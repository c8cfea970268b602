using System.Globalization;
using System.Text;
using FastWeights.Bench.Reporting;
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
        string root = settings.OutputDirectory ?? Path.Combine("runs", $"compare-R{settings.Hidden}");
        stdout.WriteLine($"compare: {kinds.Count} models, each with the same budget: {Budget(settings)}");
        bool created = !Directory.Exists(root);
        Directory.CreateDirectory(root);
        var outcomes = new List<(RecurrentKind Kind, TrainRun.Outcome Outcome)>();
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler handler = (_, e) => { if (!cancel.IsCancellationRequested) { e.Cancel = true; cancel.Cancel(); } };
        Console.CancelKeyPress += handler;
        try
        {
            foreach (var kind in kinds)
            {
                if (cancel.IsCancellationRequested) break;
                string name = RetrievalModelConfig.KindName(kind);
                var outcome = TrainRun.Execute(settings with { Kind = kind, OutputDirectory = Path.Combine(root, name), Resume = null }, stdout, cancel.Token);
                outcomes.Add((kind, outcome));
            }
        }
        catch when (created && outcomes.Count == 0)
        {
            // Rejected before any model trained (a bad option): leave no empty folder behind.
            try { if (!Directory.EnumerateFileSystemEntries(root).Any()) Directory.Delete(root); }
            catch (IOException) { }
            throw;
        }
        finally
        {
            Console.CancelKeyPress -= handler;
        }

        var runs = outcomes.Select(o => new KeyValuePair<string, IReadOnlyList<MetricsRecord>>(
            RetrievalModelConfig.KindName(o.Kind), MetricsLog.Load(Path.Combine(o.Outcome.RunDirectory, MetricsLog.FileName)))).ToList();
        string plot = Path.Combine(root, PlotFile);
        ComparePlot.Save(plot, runs, $"Associative retrieval, K={settings.Pairs}, R={settings.Hidden}");

        var table = new StringBuilder();
        table.AppendLine($"Budget per model: {Budget(settings)}.");
        table.AppendLine();
        table.AppendLine($"| model | R | steps | wall s | validation accuracy | test accuracy | test error |");
        table.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (kind, o) in outcomes)
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {RetrievalModelConfig.KindName(kind)} | {settings.Hidden} | {o.Steps} | {o.WallSeconds:F0} | {o.ValidationAccuracy * 100:F2}% | {o.TestAccuracy * 100:F2}% | {(1 - o.TestAccuracy) * 100:F2}% |"));
        File.WriteAllText(Path.Combine(root, "table.md"), table.ToString());
        stdout.Write(table.ToString());
        stdout.WriteLine($"plot: {plot}");
        stdout.WriteLine($"table: {Path.Combine(root, "table.md")}");
        return outcomes.Count == kinds.Count ? 0 : 130;
    }

    /// <summary>The budget every model gets, saying whether it is steps or time: "5000 steps", "720 s of wall time (or 20000 steps)".</summary>
    public static string Budget(TrainSettings s) =>
        (s.TimeBudget is { } t ? $"{t.TotalSeconds:F0} s of wall time (or {s.Steps} steps, whichever comes first)" : $"{s.Steps} steps")
        + (s.TargetAccuracy is { } a ? $", stopping early at {a * 100:G4}% validation accuracy" : "");
}
