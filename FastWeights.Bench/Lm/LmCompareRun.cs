using System.Globalization;
using System.Text;
using FastWeights.Bench.Reporting;
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
        string root = settings.OutputDirectory ?? Path.Combine("runs", $"lm-compare-R{settings.Hidden}");
        stdout.WriteLine($"lm compare: {kinds.Count} models, each with the same budget: {Budget(settings)}");
        bool created = !Directory.Exists(root);
        Directory.CreateDirectory(root);
        var outcomes = new List<(RecurrentKind Kind, LmTrainRun.Outcome Outcome)>();
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler handler = (_, e) => { if (!cancel.IsCancellationRequested) { e.Cancel = true; cancel.Cancel(); } };
        Console.CancelKeyPress += handler;
        try
        {
            foreach (var kind in kinds)
            {
                if (cancel.IsCancellationRequested) break;
                string name = RetrievalModelConfig.KindName(kind);
                var outcome = LmTrainRun.Execute(settings with { Kind = kind, OutputDirectory = Path.Combine(root, name), Resume = null }, stdout, cancel.Token);
                outcomes.Add((kind, outcome));
            }
        }
        catch when (created && outcomes.Count == 0)
        {
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
        string plot = Path.Combine(root, "compare.png");
        ComparePlot.Save(plot, runs, $"Character LM, R={settings.Hidden}, T={settings.Window}");

        var table = new StringBuilder();
        table.AppendLine($"Budget per model: {Budget(settings)}; batch {settings.Training.BatchSize} × window {settings.Window}, R={settings.Hidden}, E={settings.Embedding}.");
        table.AppendLine();
        table.AppendLine("| model | steps | train s | chars/s | memory MiB | validation BPC | test BPC |");
        table.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (kind, o) in outcomes)
            table.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {RetrievalModelConfig.KindName(kind)} | {o.Steps} | {o.TrainSeconds:F0} | {o.CharactersPerSecond:F0} | {o.MemoryBytes / 1048576.0:F0} | {o.ValidationBpc:F3} | {o.TestBpc:F3} |"));
        File.WriteAllText(Path.Combine(root, "table.md"), table.ToString());
        stdout.Write(table.ToString());
        stdout.WriteLine($"plot: {plot}");
        stdout.WriteLine($"table: {Path.Combine(root, "table.md")}");
        return outcomes.Count == kinds.Count ? 0 : 130;
    }

    private static string Budget(LmSettings s) =>
        s.TimeBudget is { } t ? $"{t.TotalSeconds:F0} s of wall time (or {s.Steps} steps, whichever comes first)" : $"{s.Steps} steps";
}
