using System.CommandLine;
using FastWeights.Bench.Cli;
using FastWeights.Bench.Reporting;
using FastWeights.Bench.Runs;

namespace FastWeights.Bench.Commands;

/// <summary>
/// <c>plot PATH [--out FILE] [--title TEXT]</c>: redraws the figures of saved runs from their <c>metrics.csv</c> files,
/// with the same drawing code the runs use (<see cref="RunPlot"/>, <see cref="ComparePlot"/>); nothing is trained.
/// PATH is one of
/// <list type="bullet">
/// <item>a run folder (holding metrics.csv, as `retrieval` writes): its training.png is redrawn;</item>
/// <item>a metrics.csv file: training.png beside it;</item>
/// <item>a `retrieval compare` folder (no metrics.csv, one run folder per model): every model's training.png and the
/// folder's compare.png, the models in the order of their folder names.</item>
/// </list>
/// Every file is read and checked before any PNG is written, so a malformed log leaves the old figures as they were.
/// </summary>
internal static class PlotCommand
{
    public const string Name = "plot";

    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "A run folder, a metrics.csv file, or a `retrieval compare` folder." };
        var output = new Option<string?>("--out") { Description = "Where to write the PNG (one run only; default: training.png beside metrics.csv)." };
        var title = new Option<string?>("--title") { Description = "Caption prefixed to the panel titles (default: the folder's name)." };
        var command = new Command(Name, "Redraw training.png (and a compare folder's compare.png) from saved metrics.csv files.")
        {
            path, output, title,
        };
        command.SetAction(parse => Run(parse.GetValue(path)!, parse.GetValue(output), parse.GetValue(title),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>Redraws the figures of <paramref name="path"/>; prints one line per PNG written.</summary>
    /// <returns>0, or <see cref="CommandErrors.InputError"/> after one line <c>plot: error: …</c> on <paramref name="stderr"/>.</returns>
    public static int Run(string path, string? output, string? title, TextWriter stdout, TextWriter stderr) =>
        CommandErrors.Guard(Name, stderr, () =>
        {
            if (string.IsNullOrWhiteSpace(path)) throw new CommandInputException("path is empty.");
            if (output is not null && string.IsNullOrWhiteSpace(output)) throw new CommandInputException("--out is empty.");
            string full = Path.GetFullPath(path);
            if (File.Exists(full))
                return One(full, output, title, stdout);
            if (!Directory.Exists(full))
                throw new CommandInputException($"'{path}' does not exist.");
            string metrics = Path.Combine(full, MetricsLog.FileName);
            if (File.Exists(metrics))
                return One(metrics, output, title, stdout);
            return Compare(full, output, title, stdout);
        });

    private static int One(string metricsPath, string? output, string? title, TextWriter stdout)
    {
        var records = Load(metricsPath);
        string folder = Path.GetDirectoryName(metricsPath)!;
        string png = output is null ? Path.Combine(folder, RunFolder.PlotFile) : Path.GetFullPath(output);
        CheckWritable(png, "--out");
        RunPlot.Save(png, records, title ?? Path.GetFileName(folder));
        stdout.WriteLine($"plot: {png} ({records.Count} rows)");
        return 0;
    }

    private static int Compare(string folder, string? output, string? title, TextWriter stdout)
    {
        if (output is not null)
            throw new CommandInputException($"--out names one PNG, but '{folder}' is a compare folder (it writes one figure per run and compare.png).");
        var runs = Directory.EnumerateDirectories(folder)
            .Where(d => File.Exists(Path.Combine(d, MetricsLog.FileName)))
            .Order(StringComparer.Ordinal)
            .ToList();
        if (runs.Count == 0)
            throw new CommandInputException($"'{folder}' holds no {MetricsLog.FileName}, nor run folders that do: not a run or a compare folder.");
        // Everything is read (and so checked) before anything is drawn.
        var loaded = runs.Select(d => (Folder: d, Records: Load(Path.Combine(d, MetricsLog.FileName)))).ToList();
        foreach (var (runFolder, records) in loaded)
        {
            string png = Path.Combine(runFolder, RunFolder.PlotFile);
            RunPlot.Save(png, records, Path.GetFileName(runFolder));
            stdout.WriteLine($"plot: {png} ({records.Count} rows)");
        }
        string comparePng = Path.Combine(folder, Comparison.PlotFile);
        ComparePlot.Save(comparePng,
            loaded.Select(r => new KeyValuePair<string, IReadOnlyList<MetricsRecord>>(Path.GetFileName(r.Folder), r.Records)),
            title ?? Path.GetFileName(folder));
        stdout.WriteLine($"plot: {comparePng} ({loaded.Count} runs)");
        return 0;
    }

    /// <summary>The rows of a metrics log; a malformed or empty one is bad input, named by its path.</summary>
    private static IReadOnlyList<MetricsRecord> Load(string metricsPath)
    {
        IReadOnlyList<MetricsRecord> records;
        try
        {
            records = MetricsLog.Load(metricsPath);
        }
        catch (FormatException e)
        {
            throw new CommandInputException(e.Message);
        }
        if (records.Count == 0)
            throw new CommandInputException($"'{metricsPath}' has a header but no rows: nothing to plot.");
        return records;
    }

    private static void CheckWritable(string png, string option)
    {
        string? directory = Path.GetDirectoryName(png);
        if (directory is not null && !Directory.Exists(directory))
            throw new CommandInputException($"{option}: the folder '{directory}' does not exist.");
        if (Directory.Exists(png))
            throw new CommandInputException($"{option}: '{png}' is a folder, not a file.");
    }
}
