using FastWeights.Model.Tasks.Retrieval;
using System.Text;
using FastWeights.Bench.Reporting;
using FastWeights.Model.Layers;

namespace FastWeights.Bench.Runs;

/// <summary>
/// What `retrieval compare` and `lm compare` share: each model trained into &lt;out&gt;/&lt;model&gt;/ one after the
/// other (Ctrl-C stops the one training and skips the rest), and the table written to table.md and printed.
/// </summary>
internal static class Comparison
{
    /// <summary>The comparison figure in the compare folder (also what `plot` redraws).</summary>
    public const string PlotFile = "compare.png";

    /// <summary>
    /// `<paramref name="command"/>`: prints the budget every model gets (<paramref name="budget"/>), trains each of
    /// <paramref name="kinds"/> with <paramref name="train"/> (<see cref="TrainEach"/>) into the compare folder
    /// (<paramref name="outputDirectory"/>, the --out given, or runs/<paramref name="defaultFolder"/>), draws their metrics into compare.png titled
    /// <paramref name="plotTitle"/>, and finishes (<see cref="Finish"/>) with the table (<see cref="Table"/>): the budget
    /// and <paramref name="details"/>, <paramref name="header"/>, <paramref name="alignment"/> and a <paramref name="row"/>
    /// per trained model. Returns 0, or 130 when Ctrl-C cut it short.
    /// </summary>
    public static int Run<T>(string command, string? outputDirectory, string defaultFolder, IReadOnlyList<RecurrentKind> kinds, string budget,
        Func<RecurrentKind, string, CancellationToken, T> train, Func<T, string> runDirectory, string plotTitle, string details, string header,
        string alignment, Func<(RecurrentKind Kind, T Outcome), string> row, TextWriter stdout)
    {
        string root = outputDirectory ?? Path.Combine("runs", defaultFolder);
        stdout.WriteLine($"{command}: {kinds.Count} models, each with the same budget: {budget}");
        var outcomes = TrainEach(root, kinds, train);
        var runs = Metrics(outcomes, runDirectory);
        string plot = Path.Combine(root, PlotFile);
        ComparePlot.Save(plot, runs, plotTitle);
        string table = Table($"Budget per model: {budget}{details}.", header, alignment, outcomes.Select(row));
        return Finish(root, table, plot, outcomes.Count, kinds.Count, stdout);
    }

    /// <summary>
    /// Trains each of <paramref name="kinds"/> with <paramref name="train"/> (given the kind, its run folder and the
    /// cancellation token), in order; returns the outcomes of those that ran. A compare folder this call created is
    /// removed again when the first model is refused before it trains.
    /// </summary>
    private static List<(RecurrentKind Kind, T Outcome)> TrainEach<T>(string root, IReadOnlyList<RecurrentKind> kinds,
        Func<RecurrentKind, string, CancellationToken, T> train)
    {
        bool created = !Directory.Exists(root);
        Directory.CreateDirectory(root);
        var outcomes = new List<(RecurrentKind Kind, T Outcome)>();
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler handler = (_, e) => { if (!cancel.IsCancellationRequested) { e.Cancel = true; cancel.Cancel(); } };
        Console.CancelKeyPress += handler;
        try
        {
            foreach (var kind in kinds)
            {
                if (cancel.IsCancellationRequested) break;
                string name = RetrievalModelConfig.KindName(kind);
                outcomes.Add((kind, train(kind, Path.Combine(root, name), cancel.Token)));
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
        return outcomes;
    }

    /// <summary>Each trained model's metrics.csv, named by its kind, for the comparison plot.</summary>
    private static List<KeyValuePair<string, IReadOnlyList<MetricsRecord>>> Metrics<T>(IEnumerable<(RecurrentKind Kind, T Outcome)> outcomes,
        Func<T, string> runDirectory) =>
        outcomes.Select(o => new KeyValuePair<string, IReadOnlyList<MetricsRecord>>(
            RetrievalModelConfig.KindName(o.Kind), MetricsLog.Load(Path.Combine(runDirectory(o.Outcome), MetricsLog.FileName)))).ToList();

    /// <summary>
    /// The markdown table of a comparison: <paramref name="budget"/> (the budget every model had), a blank line, the
    /// <paramref name="header"/> row, the <paramref name="alignment"/> row and one row per model.
    /// </summary>
    private static string Table(string budget, string header, string alignment, IEnumerable<string> rows)
    {
        var table = new StringBuilder();
        table.AppendLine(budget);
        table.AppendLine();
        table.AppendLine(header);
        table.AppendLine(alignment);
        foreach (string row in rows)
            table.AppendLine(row);
        return table.ToString();
    }

    /// <summary>
    /// Writes <paramref name="table"/> to &lt;root&gt;/table.md and prints it with the plot's and the table's paths;
    /// returns 0 when every model ran, 130 when Ctrl-C cut the comparison short.
    /// </summary>
    private static int Finish(string root, string table, string plot, int trained, int asked, TextWriter stdout)
    {
        File.WriteAllText(Path.Combine(root, "table.md"), table);
        stdout.Write(table);
        stdout.WriteLine($"plot: {plot}");
        stdout.WriteLine($"table: {Path.Combine(root, "table.md")}");
        return trained == asked ? 0 : 130;
    }
}
