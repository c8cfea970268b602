using System.Globalization;
using System.Text;

namespace FastWeights.Bench.Reporting;

/// <summary>
/// One row of <c>metrics.csv</c>. Accuracies are fractions in [0, 1]; the validation columns are null on
/// rows written without an evaluation.
/// </summary>
/// <param name="Step">Optimizer steps done.</param>
/// <param name="ElapsedSeconds">Wall time since the run (first) started.</param>
/// <param name="TrainLoss">Mean training loss since the previous row.</param>
/// <param name="TrainAccuracy">Training accuracy since the previous row, in [0, 1].</param>
/// <param name="ValidationLoss">Validation loss, or null when not evaluated at this step.</param>
/// <param name="ValidationAccuracy">Validation accuracy in [0, 1], or null when not evaluated.</param>
/// <param name="LearningRate">Learning rate used at this step.</param>
/// <param name="GradNorm">Global gradient norm (before clipping).</param>
/// <param name="StepsPerSecond">Throughput since the previous row.</param>
internal sealed record MetricsRecord(
    long Step,
    double ElapsedSeconds,
    double TrainLoss,
    double TrainAccuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double LearningRate,
    double GradNorm,
    double StepsPerSecond);

/// <summary>
/// Writes <c>metrics.csv</c> one row at a time, flushed after each row so a crash loses nothing already
/// reported; numbers in <see cref="CultureInfo.InvariantCulture"/>, shortest round-trip form.
/// <see cref="Create"/> starts a new file; <see cref="Resume"/> keeps the rows already there and appends.
/// </summary>
internal sealed class MetricsLog : IDisposable
{
    /// <summary>The usual file name inside a run directory.</summary>
    public const string FileName = "metrics.csv";

    /// <summary>The header line.</summary>
    public const string Header = "step,elapsed_s,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,grad_norm,steps_per_s";

    private const int ColumnCount = 9;
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly StreamWriter _writer;

    private MetricsLog(string path, FileMode mode)
    {
        Path = path;
        var stream = new FileStream(path, mode, FileAccess.Write, FileShare.Read);
        _writer = new StreamWriter(stream, Utf8) { NewLine = "\n" };
    }

    /// <summary>The file written to.</summary>
    public string Path { get; }

    /// <summary>A new file at <paramref name="path"/> (replacing any) holding just the header.</summary>
    public static MetricsLog Create(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var log = new MetricsLog(path, FileMode.Create);
        log.WriteLine(Header);
        return log;
    }

    /// <summary>
    /// Continues the log of a resumed run: the rows already in <paramref name="path"/> are kept and new
    /// rows are appended. With <paramref name="keepThroughStep"/>, rows of later steps (written after the
    /// checkpoint being resumed from) are dropped first. A last line cut short by a crash is dropped. A
    /// missing file is created.
    /// </summary>
    /// <exception cref="FormatException">The file exists but is not a metrics log.</exception>
    public static MetricsLog Resume(string path, long? keepThroughStep = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) return Create(path);
        string text = File.ReadAllText(path, Utf8);
        var lines = text.Split('\n');
        // The piece after the last '\n' is empty when the file ends cleanly, else a partial row.
        var complete = lines.Take(lines.Length - 1).Select(l => l.TrimEnd('\r')).ToList();
        if (complete.Count == 0 || complete[0] != Header)
            throw new FormatException($"'{path}' does not start with the metrics header '{Header}'.");
        var kept = new List<string> { Header };
        for (int i = 1; i < complete.Count; i++)
        {
            if (complete[i].Length == 0) continue;
            var record = Parse(complete[i], path, i + 1);
            if (keepThroughStep is null || record.Step <= keepThroughStep) kept.Add(complete[i]);
        }
        if (kept.Count != complete.Count || lines[^1].Length != 0)
            File.WriteAllText(path, string.Join("\n", kept) + "\n", Utf8);
        return new MetricsLog(path, FileMode.Append);
    }

    /// <summary>Appends one row and flushes it to the file.</summary>
    public void Append(MetricsRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        WriteLine(Format(record));
    }

    /// <summary>Every row of the log at <paramref name="path"/>, in file order.</summary>
    /// <exception cref="FormatException">Not a metrics log, or a malformed row (its line number is given).</exception>
    public static IReadOnlyList<MetricsRecord> Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var records = new List<MetricsRecord>();
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite), Utf8);
        string? header = reader.ReadLine();
        if (header != Header)
            throw new FormatException($"'{path}' does not start with the metrics header '{Header}'.");
        int lineNumber = 1;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (line.Length == 0) continue;
            records.Add(Parse(line, path, lineNumber));
        }
        return records;
    }

    /// <summary>The CSV row of <paramref name="record"/> (no newline).</summary>
    public static string Format(MetricsRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return string.Join(',',
            record.Step.ToString(CultureInfo.InvariantCulture),
            Number(record.ElapsedSeconds),
            Number(record.TrainLoss),
            Number(record.TrainAccuracy),
            record.ValidationLoss is { } vl ? Number(vl) : "",
            record.ValidationAccuracy is { } va ? Number(va) : "",
            Number(record.LearningRate),
            Number(record.GradNorm),
            Number(record.StepsPerSecond));
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();

    private void WriteLine(string line)
    {
        _writer.WriteLine(line);
        _writer.Flush();
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static MetricsRecord Parse(string line, string path, int lineNumber)
    {
        var cells = line.TrimEnd('\r').Split(',');
        if (cells.Length != ColumnCount)
            throw new FormatException($"{path}:{lineNumber}: {cells.Length} columns, expected {ColumnCount}.");
        try
        {
            return new MetricsRecord(
                long.Parse(cells[0], NumberStyles.Integer, CultureInfo.InvariantCulture),
                Double(cells[1]), Double(cells[2]), Double(cells[3]),
                OptionalDouble(cells[4]), OptionalDouble(cells[5]),
                Double(cells[6]), Double(cells[7]), Double(cells[8]));
        }
        catch (FormatException e)
        {
            throw new FormatException($"{path}:{lineNumber}: {e.Message}", e);
        }

        static double Double(string cell) => double.Parse(cell, NumberStyles.Float, CultureInfo.InvariantCulture);
        static double? OptionalDouble(string cell) => cell.Length == 0 ? null : Double(cell);
    }
}
