using System.Text.RegularExpressions;
using FastWeights.Bench.Commands;

namespace FastWeights.Tests.Bench.Commands;

/// <summary>The <c>crossover</c> command: one table row per (H, T), one summary line per H, bad lists rejected.</summary>
public sealed class CrossoverCommandTests
{
    [Test]
    public void PrintsOneRowPerShapeAndOneSummaryPerHidden()
    {
        var (code, stdout, stderr) = CliRun.Capture((o, e) => CrossoverCommand.Run(2, 3, 1, 0.9, "4,6", "2,5", 1, "cpu", o, e));
        Assert.That(code, Is.EqualTo(0), stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var rows = lines.Where(l => Regex.IsMatch(l, @"^\| (4|6) \| (2|5) \| \d+\.\d\d \| \d+\.\d\d \| \d+\.\d\d \| (matrix|attention) \|$")).ToList();
        var summaries = lines.Where(l => l.StartsWith("H=", StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(rows, Has.Count.EqualTo(4), stdout);
            Assert.That(summaries, Has.Count.EqualTo(2), stdout);
            Assert.That(lines[^1], Does.StartWith("rule in use: on the host schedule (the CPU default) attention when H >= 128 and T <= 0.5·H"));
        });
    }

    [Test]
    public void ASizeThatCannotFitIsRefusedWithTheBytesBeforeAllocating()
    {
        var stderr = new StringWriter();
        int code = CrossoverCommand.Run(1, 2, int.MaxValue, 0.9, "2", "2", 1, "cpu", new StringWriter(), stderr);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(stderr.ToString(), Does.StartWith("crossover: error: --batch 1 --input 2 --inner 2147483647 --hidden 2 --time 2")
            .And.Match(@"need \d+ bytes, more than the \d+ bytes"));
    }

    [TestCase("--hidden", "4,x")]
    [TestCase("--hidden", "")]
    [TestCase("--time", "5,2")]
    [TestCase("--time", "0,2")]
    public void RejectsBadLists(string option, string value)
    {
        var stderr = new StringWriter();
        int code = option == "--hidden"
            ? CrossoverCommand.Run(2, 3, 1, 0.9, value, "2", 1, "cpu", new StringWriter(), stderr)
            : CrossoverCommand.Run(2, 3, 1, 0.9, "4", value, 1, "cpu", new StringWriter(), stderr);
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(stderr.ToString(), Does.Contain(option));
    }
}
