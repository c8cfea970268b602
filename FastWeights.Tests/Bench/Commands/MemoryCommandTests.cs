using System.Text.RegularExpressions;
using FastWeights.Bench.Commands;
using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Bench.Commands;

/// <summary>The <c>memory</c> command: its one output line, its values, and its rejections.</summary>
public sealed partial class MemoryCommandTests
{
    [GeneratedRegex(@"^workspace_bytes=(\d+) store_all_bytes=(\d+)$")]
    private static partial Regex LinePattern();

    [TestCase(32, 1024, 64, 256, 1, 0.95)]
    [TestCase(1, 1, 1, 1, 1, 1.0)]
    [TestCase(4, 100, 7, 13, 3, 0.5)]
    public void PrintsTheApiValuesOnOneLine(int b, int t, int i, int h, int s, double decay)
    {
        var (code, stdout, stderr) = Invoke(b, t, i, h, s, decay);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stderr, Is.Empty);
        var match = LinePattern().Match(stdout.TrimEnd('\r', '\n'));
        Assert.That(match.Success, $"unexpected output '{stdout}'");
        Assert.That(stdout.Count(ch => ch == '\n'), Is.EqualTo(1), "exactly one line");
        Assert.That(long.Parse(match.Groups[1].Value), Is.EqualTo(FastWeightRnnLayer.WorkspaceBytes(b, t, i, h, s, decay)));
        Assert.That(long.Parse(match.Groups[2].Value), Is.EqualTo(FastWeightRnnLayer.StoreAllBytes(b, t, i, h, s, decay)));
    }

    [Test]
    public void CheckpointingSavesAtLeast20xAtTheBenchmarkShape()
    {
        var (code, stdout, _) = Invoke(32, 1024, 64, 256, 1, 0.95);
        Assert.That(code, Is.EqualTo(0));
        var match = LinePattern().Match(stdout.TrimEnd());
        double ratio = (double)long.Parse(match.Groups[2].Value) / long.Parse(match.Groups[1].Value);
        TestContext.Out.WriteLine($"{stdout.TrimEnd()} ratio={ratio:F2}");
        Assert.That(ratio, Is.GreaterThanOrEqualTo(20.0));
    }

    [TestCase(0, 10, 3, 8, 1, 0.9, "--batch")]
    [TestCase(2, -1, 3, 8, 1, 0.9, "--time")]
    [TestCase(2, 10, 0, 8, 1, 0.9, "--input")]
    [TestCase(2, 10, 3, 0, 1, 0.9, "--hidden")]
    [TestCase(2, 10, 3, 8, 0, 0.9, "--inner")]
    [TestCase(2, 10, 3, 8, 1, 0.0, "--decay")]
    [TestCase(2, 10, 3, 8, 1, 1.01, "--decay")]
    [TestCase(2, 10, 3, 8, 1, double.NaN, "--decay")]
    [TestCase(65536, 65536, 3, 8, 1, 0.9, "2^31")]
    [TestCase(1, int.MaxValue, 1, 1, 1, 0.95, "--time 2147483647 is too large")] // the checkpoint count would overflow
    [TestCase(1, int.MaxValue - 1, 1, 1, 1, 1.0, "--time 2147483646 is too large")]
    public void OutOfRangeInputIsRejected(int b, int t, int i, int h, int s, double decay, string expected)
    {
        var (code, stdout, stderr) = Invoke(b, t, i, h, s, decay);
        TestContext.Out.WriteLine(stderr.Trim());
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(stderr, Does.StartWith("memory: error: ").And.Contain(expected));
    }

    [Test]
    public void ParsesThroughTheCommandLine()
    {
        var (code, stdout, stderr) = CliRun.Invoke(["memory", "--batch", "32", "--time", "1024", "--input", "64", "--hidden", "256", "--inner", "1", "--decay", "0.95"]);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout.TrimEnd(), Is.EqualTo(MemoryCommand.Format(
            FastWeightRnnLayer.WorkspaceBytes(32, 1024, 64, 256, 1, 0.95), FastWeightRnnLayer.StoreAllBytes(32, 1024, 64, 256, 1, 0.95))));
    }

    [TestCase("memory", "--batch", "0", "--time", "1", "--input", "1", "--hidden", "1", "--inner", "1", "--decay", "0.9")]
    [TestCase("memory", "--batch", "two", "--time", "1", "--input", "1", "--hidden", "1", "--inner", "1", "--decay", "0.9")]
    [TestCase("memory", "--time", "1", "--input", "1", "--hidden", "1", "--inner", "1", "--decay", "0.9")]
    public void BadCommandLineExitsNonZero(params string[] args)
    {
        var (code, stdout, stderr) = CliRun.Invoke(args);
        TestContext.Out.WriteLine(stderr.Trim());
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(stderr, Is.Not.Empty);
        Assert.That(stdout, Does.Not.Contain("workspace_bytes"));
    }

    [GeneratedRegex(@"^workspace_bytes=(\d+) store_all_bytes=(\d+) unbudgeted_bytes=(\d+) checkpoint_copies=(\d+) recomputed_steps=(\d+)$")]
    private static partial Regex BudgetedPattern();

    [TestCase("--budget-bytes", "21000000")]
    [TestCase("--max-copies", "5")]
    public void ReportsTheBudgetedWorkspace(string option, string value)
    {
        var (code, stdout, stderr) = CliRun.Invoke(["memory", "--batch", "4", "--time", "10000", "--input", "8", "--hidden", "32", "--inner", "1", "--decay", "0.95", option, value]);
        Assert.That(code, Is.EqualTo(0), stderr);
        TestContext.Out.WriteLine(stdout.Trim());
        var match = BudgetedPattern().Match(stdout.TrimEnd());
        Assert.That(match.Success, $"unexpected output '{stdout}'");
        var options = new FastWeightRnnOptions
        {
            InputSize = 8, HiddenSize = 32, Decay = 0.95,
            MemoryBudgetBytes = option == "--budget-bytes" ? long.Parse(value) : null,
            MaxCheckpointCopies = option == "--max-copies" ? int.Parse(value) : null,
        };
        var plan = FastWeightRnnLayer.WorkspacePlanFor(options, 4, 10000);
        long budgeted = long.Parse(match.Groups[1].Value);
        Assert.That(budgeted, Is.EqualTo(FastWeightRnnLayer.WorkspaceBytes(options, 4, 10000)));
        Assert.That(long.Parse(match.Groups[3].Value), Is.EqualTo(FastWeightRnnLayer.WorkspaceBytes(4, 10000, 8, 32, 1, 0.95)));
        Assert.That(budgeted, Is.LessThan(long.Parse(match.Groups[3].Value)), "the budget binds at this shape");
        Assert.That(int.Parse(match.Groups[4].Value), Is.EqualTo(plan.CheckpointCount));
        Assert.That(long.Parse(match.Groups[5].Value), Is.EqualTo(CheckpointPlan.For(10000, 51, plan.CheckpointCount).RecomputedSteps).And.GreaterThan(0));
        if (option == "--budget-bytes") Assert.That(budgeted, Is.LessThanOrEqualTo(21_000_000));
        else Assert.That(plan.CheckpointCount, Is.EqualTo(5));
    }

    [TestCase("--budget-bytes", "1000", "--budget-bytes: MemoryBudgetBytes = 1000 is below the minimum of")]
    [TestCase("--max-copies", "2", "--max-copies: MaxCheckpointCopies = 2 is below the minimum of 3")]
    [TestCase("--max-copies", "1", "--max-copies must be >= 2")]
    [TestCase("--budget-bytes", "0", "--budget-bytes must be >= 1")]
    public void ABudgetBelowTheMinimumIsRejected(string option, string value, string expected)
    {
        var (code, stdout, stderr) = CliRun.Invoke(["memory", "--batch", "4", "--time", "1000", "--input", "8", "--hidden", "32", "--inner", "1", "--decay", "0.95", option, value]);
        TestContext.Out.WriteLine(stderr.Trim());
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(stderr, Does.StartWith("memory: error: " + expected));
    }

    private static (int Code, string Stdout, string Stderr) Invoke(int b, int t, int i, int h, int s, double decay)
    {
        return CliRun.Capture((o, e) => MemoryCommand.Run(b, t, i, h, s, decay, o, e));
    }
}
