using FastWeights.Bench.Reporting;
using Spectre.Console;

namespace FastWeights.Tests.Bench.Reporting;

/// <summary>Run reporting for training: metrics.csv, plots, progress displays.</summary>
public sealed class ReportingTests() : TempFolderFixture("fw-reporting-", perTest: true)
{
    private static List<MetricsRecord> Curve(long steps, int evalEvery, double offset = 0)
    {
        var records = new List<MetricsRecord>();
        for (long s = 10; s <= steps; s += 10)
        {
            double loss = 2.3 * Math.Exp(-s / 300.0) + 0.05 + offset;
            double acc = Math.Clamp(0.1 + s / (double)steps * 0.85 - offset, 0, 1);
            bool eval = s % evalEvery == 0;
            records.Add(new MetricsRecord(s, s / 40.0, loss, acc, eval ? loss * 1.1 : null, eval ? acc - 0.01 : null, 1e-3, 0.5 + 1.0 / s, 40.25));
        }
        return records;
    }

    private static void AssertPng(string path)
    {
        Assert.That(File.Exists(path), $"{path} was not written");
        var bytes = File.ReadAllBytes(path);
        Assert.That(bytes.Length, Is.GreaterThan(1000));
        Assert.That(bytes.Take(8).ToArray(), Is.EqualTo(Png.Signature));
    }

    [Test]
    public void MetricsRoundTrip()
    {
        string path = Path.Combine(root, MetricsLog.FileName);
        var records = new List<MetricsRecord>
        {
            new(100, 2.5, 0.41234567891, 0.875, null, null, 1e-3, 1.25, 41.2),
            new(200, 5.125, 0.3, 0.9, 0.31, 0.869, 3e-4, double.NaN, 39.999),
            new(300, 7.75, 1.0 / 3, 2.0 / 3, 1e-9, 0.5, 0, 0.1, 40),
        };
        using (var log = MetricsLog.Create(path))
            foreach (var r in records) log.Append(r);
        var lines = File.ReadAllLines(path);
        Assert.That(lines[0], Is.EqualTo("step,elapsed_s,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,grad_norm,steps_per_s"));
        Assert.That(lines[1], Is.EqualTo("100,2.5,0.41234567891,0.875,,,0.001,1.25,41.2"));
        Assert.That(MetricsLog.Load(path), Is.EqualTo(records));
    }

    [Test]
    public void RowsAreOnDiskBeforeTheLogIsClosed()
    {
        string path = Path.Combine(root, MetricsLog.FileName);
        using var log = MetricsLog.Create(path);
        log.Append(new MetricsRecord(1, 0.1, 2, 0.1, null, null, 1e-3, 1, 10));
        Assert.That(MetricsLog.Load(path), Has.Count.EqualTo(1));
    }

    [Test]
    public void ResumeKeepsEarlierRowsAndAppends()
    {
        string path = Path.Combine(root, MetricsLog.FileName);
        var first = Curve(100, 50);
        var second = Curve(200, 50).Skip(10).ToList();
        using (var log = MetricsLog.Create(path))
            foreach (var r in first) log.Append(r);
        using (var log = MetricsLog.Resume(path))
            foreach (var r in second) log.Append(r);
        Assert.That(MetricsLog.Load(path), Is.EqualTo(first.Concat(second)));
        Assert.That(File.ReadAllLines(path).Count(l => l.StartsWith("step,")), Is.EqualTo(1));
    }

    [Test]
    public void ResumeFromACheckpointDropsLaterRowsAndAPartialLine()
    {
        string path = Path.Combine(root, MetricsLog.FileName);
        var records = Curve(100, 50);
        using (var log = MetricsLog.Create(path))
            foreach (var r in records) log.Append(r);
        File.AppendAllText(path, "110,2.7,0.3"); // a crash mid-row
        using (var log = MetricsLog.Resume(path, keepThroughStep: 60))
            log.Append(records[6] with { TrainLoss = 9 });
        var loaded = MetricsLog.Load(path);
        Assert.That(loaded.Take(6), Is.EqualTo(records.Take(6)));
        Assert.That(loaded, Has.Count.EqualTo(7));
        Assert.That(loaded[6].TrainLoss, Is.EqualTo(9));
    }

    [Test]
    public void ResumeOfAMissingFileStartsOne()
    {
        string path = Path.Combine(root, MetricsLog.FileName);
        using (var log = MetricsLog.Resume(path)) log.Append(Curve(10, 10)[0]);
        Assert.That(MetricsLog.Load(path), Has.Count.EqualTo(1));
    }

    [Test]
    public void LoadRejectsOtherFiles()
    {
        string path = Path.Combine(root, "other.csv");
        File.WriteAllText(path, "a,b\n1,2\n");
        Assert.Throws<FormatException>(() => MetricsLog.Load(path));
        Assert.Throws<FormatException>(() => MetricsLog.Resume(path).Dispose());
        File.WriteAllText(path, MetricsLog.Header + "\n1,2,3\n");
        var e = Assert.Throws<FormatException>(() => MetricsLog.Load(path));
        Assert.That(e!.Message, Does.Contain(":2:"));
    }

    [Test]
    public void RunPlotWritesAPng()
    {
        string path = Path.Combine(root, "run.png");
        RunPlot.Save(path, Curve(2000, 200), "fast weights K=4");
        AssertPng(path);
    }

    [Test]
    public void RunPlotCopesWithNoValidationRowsAndNoRows()
    {
        string a = Path.Combine(root, "a.png");
        string b = Path.Combine(root, "b.png");
        RunPlot.Save(a, Curve(100, 1000));
        RunPlot.Save(b, []);
        AssertPng(a);
        AssertPng(b);
    }

    [Test]
    public void ComparePlotWritesAPngForOneRun()
    {
        string path = Path.Combine(root, "compare1.png");
        ComparePlot.Save(path, new Dictionary<string, IReadOnlyList<MetricsRecord>> { ["fast weights"] = Curve(2000, 200) });
        AssertPng(path);
    }

    [Test]
    public void ComparePlotWritesAPngForThreeRuns()
    {
        string path = Path.Combine(root, "compare3.png");
        var runs = new List<KeyValuePair<string, IReadOnlyList<MetricsRecord>>>
        {
            new("RNN H=20", Curve(2000, 200, 0.3)),
            new("LSTM H=20", Curve(2000, 200, 0.15)),
            new("fast weights H=20", Curve(2000, 200)),
        };
        ComparePlot.Save(path, runs, "associative retrieval, K=4");
        AssertPng(path);
    }

    [Test]
    public void PlainLineHasTheDocumentedFormat()
    {
        var stats = new ProgressStats(0.41234, 0.875, 0.869, 41.23, 1e-3);
        Assert.That(ProgressReporter.FormatLine(1200, 20000, stats),
            Is.EqualTo("step 1200/20000  loss 0.4123  acc 87.5%  val_acc 86.9%  41.2 steps/s  lr 1.0e-3"));
        Assert.That(ProgressReporter.FormatLine(5, 10, stats with { ValidationAccuracy = null, LearningRate = 3e-4 }),
            Is.EqualTo("step 5/10  loss 0.4123  acc 87.5%  41.2 steps/s  lr 3.0e-4"));
    }

    [Test]
    public void LiveDescriptionIsCompact()
    {
        var stats = new ProgressStats(0.41234, 0.875, 0.869, 41.23, 1e-3);
        string text = ProgressReporter.FormatCompact(1200, 20000, stats);
        Assert.That(text, Is.EqualTo("1200/20000 loss 0.4123 acc 87.5% val 86.9% 41.2/s lr 1.0e-3"));
        Assert.That(text.Length, Is.LessThanOrEqualTo(60));
    }

    [Test]
    public void PlainReporterPrintsEveryNStepsOnTimeAndAtTheEnd()
    {
        var output = new StringWriter();
        var now = TimeSpan.Zero;
        var reporter = new PlainProgressReporter(output, everySteps: 100, interval: TimeSpan.FromSeconds(10), clock: () => now);
        var stats = new ProgressStats(0.5, 0.5, null, 10, 1e-3);
        reporter.Run(sink =>
        {
            for (long s = 1; s <= 250; s++)
            {
                now = TimeSpan.FromSeconds(s * 0.01);
                sink.Report(s, 1000, stats);
            }
            now = TimeSpan.FromSeconds(20); // a slow stretch: printed on time, not step count
            sink.Report(251, 1000, stats);
            sink.Report(252, 1000, stats);
            sink.Log("checkpoint saved");
            sink.Report(1000, 1000, stats);
        });
        var steps = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.StartsWith("step ") ? l.Split(' ')[1] : l).ToArray();
        Assert.That(steps, Is.EqualTo(new[] { "100/1000", "200/1000", "251/1000", "checkpoint saved", "1000/1000" }));
    }

    [Test]
    public void SpectreReporterRunsTheBodyAndShowsLogLines()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        int reports = 0;
        new SpectreProgressReporter(console).Run(sink =>
        {
            for (long s = 1; s <= 20; s++, reports++) sink.Report(s, 20, new ProgressStats(0.1, 0.9, 0.8, 100, 1e-3));
            sink.Log("evaluated [val] 80%");
        });
        Assert.That(reports, Is.EqualTo(20));
        Assert.That(output.ToString(), Does.Contain("evaluated [val] 80%"));
    }

    [Test]
    public void SpectreReporterPassesExceptionsThrough()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(new StringWriter()), Interactive = InteractionSupport.No });
        Assert.Throws<InvalidOperationException>(() =>
            new SpectreProgressReporter(console).Run(_ => throw new InvalidOperationException("diverged")));
    }

    [TestCase(false, true, true)]
    [TestCase(true, true, false)]
    [TestCase(false, false, false)]
    public void LiveDisplayOnlyOnAnInteractiveTerminal(bool redirected, bool interactive, bool live) =>
        Assert.That(ProgressReporter.UseLiveDisplay(redirected, interactive), Is.EqualTo(live));
}
