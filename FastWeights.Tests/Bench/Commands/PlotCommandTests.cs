using System.Buffers.Binary;
using FastWeights.Bench.Commands;
using FastWeights.Bench.Reporting;

namespace FastWeights.Tests.Bench.Commands;

/// <summary>`plot` redraws training.png / compare.png from saved metrics.csv files; the CLI with no command prints its help.</summary>
public sealed class PlotCommandTests() : TempFolderFixture("fw-plot-", perTest: true)
{
    /// <summary>A run folder with a metrics.csv of a few rows (validation every other row), as `retrieval` writes it.</summary>
    private string Run(string name, double offset = 0)
    {
        string folder = Path.Combine(root, name);
        Directory.CreateDirectory(folder);
        using var log = MetricsLog.Create(Path.Combine(folder, MetricsLog.FileName));
        for (long s = 100; s <= 1000; s += 100)
        {
            bool eval = s % 200 == 0;
            double loss = 2.3 * Math.Exp(-s / 400.0) + offset, acc = Math.Min(1, s / 1000.0 - offset);
            log.Append(new MetricsRecord(s, s / 50.0, loss, acc, eval ? loss * 1.1 : null, eval ? acc - 0.02 : null, 1e-3, 0.7, 50));
        }
        return folder;
    }

    /// <summary>The file is a PNG of the given size (the signature, then IHDR's big-endian width and height).</summary>
    private static void AssertPng(string path, int width, int height)
    {
        Assert.That(File.Exists(path), $"{path} was not written");
        byte[] bytes = File.ReadAllBytes(path);
        Assert.That(bytes.Take(8).ToArray(), Is.EqualTo(Png.Signature), $"{path} is not a PNG");
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), Is.EqualTo(width));
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)), Is.EqualTo(height));
    }

    private static (int Code, string Out, string Err) Invoke(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = BenchCli.Invoke(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Test]
    public void RunFolder_RedrawsItsTrainingPng()
    {
        string run = Run("retrieval-fw-R50");
        var (code, stdout, stderr) = Invoke("plot", run);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stderr, Is.Empty);
        AssertPng(Path.Combine(run, "training.png"), 1200, 450);
        Assert.That(stdout, Does.Contain("training.png (10 rows)"));
    }

    [Test]
    public void MetricsFile_WithOut_WritesThere_AndReplacesAnOldFigure()
    {
        string run = Run("r");
        string png = Path.Combine(root, "redrawn.png");
        File.WriteAllText(png, "not a png");
        var (code, _, stderr) = Invoke("plot", Path.Combine(run, "metrics.csv"), "--out", png, "--title", "fw");
        Assert.That(code, Is.EqualTo(0), stderr);
        AssertPng(png, 1200, 450);
        Assert.That(File.Exists(Path.Combine(run, "training.png")), Is.False, "--out replaces the default place");
    }

    [Test]
    public void CompareFolder_RedrawsEveryRunAndTheComparePng()
    {
        string runs = Path.Combine(root, "compare-R50");
        Directory.CreateDirectory(runs);
        string fw = Run(Path.Combine("compare-R50", "fw"));
        string rnn = Run(Path.Combine("compare-R50", "rnn-ln"), offset: 0.3);
        Directory.CreateDirectory(Path.Combine(runs, "not-a-run"));   // no metrics.csv: ignored
        var (code, stdout, stderr) = Invoke("plot", runs);
        Assert.That(code, Is.EqualTo(0), stderr);
        AssertPng(Path.Combine(fw, "training.png"), 1200, 450);
        AssertPng(Path.Combine(rnn, "training.png"), 1200, 450);
        AssertPng(Path.Combine(runs, "compare.png"), 1400, 500);
        Assert.That(stdout, Does.Contain("compare.png (2 runs)"));
    }

    [Test]
    public void MissingPath_IsOneLineError()
    {
        var (code, stdout, stderr) = Invoke("plot", Path.Combine(root, "nowhere"));
        Assert.That(code, Is.EqualTo(1));
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr, Does.StartWith("plot: error: '").And.Contain("does not exist"));
        Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public void MalformedMetrics_IsOneLineError_AndNoPngIsWritten()
    {
        string run = Path.Combine(root, "bad");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "metrics.csv"), MetricsLog.Header + "\n100,1,0.5,0.5,,,0.001,1,50\n200,oops\n");
        var (code, _, stderr) = Invoke("plot", run);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(stderr, Does.StartWith("plot: error: ").And.Contain("metrics.csv"));
        Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(File.Exists(Path.Combine(run, "training.png")), Is.False);
    }

    [Test]
    public void NotAMetricsLog_HeaderOnly_AndEmptyFolder_AreRefused()
    {
        string other = Path.Combine(root, "other.csv");
        File.WriteAllText(other, "a,b,c\n1,2,3\n");
        string headerOnly = Path.Combine(root, "header-only");
        Directory.CreateDirectory(headerOnly);
        File.WriteAllText(Path.Combine(headerOnly, "metrics.csv"), MetricsLog.Header + "\n");
        string empty = Path.Combine(root, "empty");
        Directory.CreateDirectory(empty);
        Assert.Multiple(() =>
        {
            var a = Invoke("plot", other);
            Assert.That(a.Code, Is.EqualTo(1));
            Assert.That(a.Err, Does.StartWith("plot: error: ").And.Contain("does not start with the metrics header"));
            var b = Invoke("plot", headerOnly);
            Assert.That(b.Code, Is.EqualTo(1));
            Assert.That(b.Err, Does.StartWith("plot: error: ").And.Contain("no rows"));
            var c = Invoke("plot", empty);
            Assert.That(c.Code, Is.EqualTo(1));
            Assert.That(c.Err, Does.StartWith("plot: error: ").And.Contain("not a run or a compare folder"));
        });
        Assert.That(Directory.EnumerateFiles(root, "*.png", SearchOption.AllDirectories), Is.Empty);
    }

    [Test]
    public void OutIntoAMissingFolder_OrOnACompareFolder_IsRefused()
    {
        string run = Run("r");
        var a = Invoke("plot", run, "--out", Path.Combine(root, "no-such-folder", "x.png"));
        Assert.That(a.Code, Is.EqualTo(1));
        Assert.That(a.Err, Does.StartWith("plot: error: --out: the folder"));
        string runs = Path.Combine(root, "cmp");
        Directory.CreateDirectory(runs);
        Run(Path.Combine("cmp", "fw"));
        var b = Invoke("plot", runs, "--out", Path.Combine(root, "x.png"));
        Assert.That(b.Code, Is.EqualTo(1));
        Assert.That(b.Err, Does.StartWith("plot: error: --out names one PNG"));
        Assert.That(Directory.EnumerateFiles(root, "*.png", SearchOption.AllDirectories), Is.Empty);
    }

    [Test]
    public void MissingPathArgument_IsAParseError_OnOneLine()
    {
        var (code, _, stderr) = Invoke("plot");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(stderr, Does.StartWith("plot: error: "));
        Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public void NoCommand_PrintsTheHelp_AndExitsZero()
    {
        var (code, stdout, stderr) = Invoke();
        Assert.That(code, Is.EqualTo(0));
        Assert.That(stderr, Is.Empty);
        Assert.That(stdout, Does.Contain("Usage:").And.Contain("Commands:"));
        foreach (string command in new[] { "layer", "memory", "retrieval", "plot", "ptx" })
            Assert.That(stdout, Does.Contain(command), $"the help lists {command}");
    }
}
