using System.Text.RegularExpressions;
using FastWeights.Bench.Commands;
using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Bench.Commands;

/// <summary>The <c>time</c> probe: it runs both schedules on the CPU accelerator and prints one parseable line.</summary>
public sealed partial class TimeCommandTests
{
    [GeneratedRegex(@"^device=(\S+) name=""[^""]*"" schedule=(\w+) form=matrix B=2 T=3 I=2 H=5 S=2 decay=0.9 K=(\d+) forward_ms=(\d+\.\d\d) backward_ms=(\d+\.\d\d) repeat=2 workspace_bytes=(\d+)$")]
    private static partial Regex LinePattern();

    [TestCase("thread", "cpu")]
    [TestCase("group", "cpu-nvidia")]
    public void PrintsOneLineWithTheScheduleAndWorkspace(string schedule, string device)
    {
        var (code, stdout, stderr) = CliRun.Capture((o, e) => TimeCommand.Run(2, 3, 2, 5, 2, 0.9, "cpu", schedule, 2, "matrix", o, e));
        Assert.That(code, Is.EqualTo(0), stderr);
        var match = LinePattern().Match(stdout.TrimEnd());
        Assert.That(match.Success, $"unexpected output '{stdout}'");
        Assert.Multiple(() =>
        {
            Assert.That(match.Groups[1].Value, Is.EqualTo(device));
            Assert.That(match.Groups[2].Value, Is.EqualTo(schedule));
            Assert.That(int.Parse(match.Groups[3].Value), Is.EqualTo(CheckpointPolicy.Interval(0.9)));
            Assert.That(long.Parse(match.Groups[6].Value), Is.EqualTo(FastWeightRnnLayer.WorkspaceBytes(2, 3, 2, 5, 2, 0.9)));
        });
    }

    /// <summary>With <c>--form attention</c> the line says so and the workspace is the attention form's (no copies of A).</summary>
    [Test]
    public void AttentionFormIsTimedWhenAskedFor()
    {
        var (code, stdout, stderr) = CliRun.Capture((o, e) => TimeCommand.Run(2, 3, 2, 5, 2, 0.9, "cpu", "thread", 1, "attention", o, e));
        Assert.That(code, Is.EqualTo(0), stderr);
        using var layer = new FastWeightRnnLayer(FastWeights.Tests.Support.Devices.Cpu.Accelerator, new FastWeightRnnOptions
        {
            InputSize = 2, HiddenSize = 5, InnerSteps = 2, Decay = 0.9, Form = FastWeightForm.Attention,
        });
        Assert.Multiple(() =>
        {
            Assert.That(stdout, Does.Contain(" form=attention "));
            Assert.That(stdout.TrimEnd(), Does.EndWith($" workspace_bytes={layer.WorkspaceBytes(2, 3)}"));
        });
    }

    [TestCase(1, "sparse", "--form", TestName = "RejectsAnUnknownForm")]
    [TestCase(0, "auto", "--repeat", TestName = "RejectsZeroRepeats")]
    public void RejectsABadOptionNamingIt(int repeat, string form, string option)
    {
        var stderr = new StringWriter();
        int code = TimeCommand.Run(2, 3, 2, 5, 2, 0.9, "cpu", "thread", repeat, form, new StringWriter(), stderr);
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(stderr.ToString(), Does.Contain(option));
    }

    [Test]
    public void UnderACopyCapReportsTheCopiesAndTheReplayedSteps()
    {
        // λ = 0.5: K = 7, n = 15 anchors for T = 100; 4 copies force recomputation.
        var (code, stdout, stderr) = CliRun.Capture((o, e) => TimeCommand.Run(2, 100, 2, 5, 1, 0.5, "cpu", "thread", 1, "auto", null, 4, o, e));
        Assert.That(code, Is.EqualTo(0), stderr);
        var match = Regex.Match(stdout, @" workspace_bytes=(\d+) checkpoint_copies=(\d+) recomputed_steps=(\d+)\s*$");
        Assert.That(match.Success, $"unexpected output '{stdout}'");
        var options = new FastWeightRnnOptions { InputSize = 2, HiddenSize = 5, Decay = 0.5, MaxCheckpointCopies = 4 };
        Assert.That(long.Parse(match.Groups[1].Value), Is.EqualTo(FastWeightRnnLayer.WorkspaceBytes(options, 2, 100)));
        Assert.That(int.Parse(match.Groups[2].Value), Is.EqualTo(4));
        Assert.That(long.Parse(match.Groups[3].Value), Is.EqualTo(CheckpointPlan.For(100, 7, 4).RecomputedSteps).And.GreaterThan(0));
    }

    [Test]
    public void ASizeThatCannotFitIsRefusedWithTheBytesBeforeAllocating()
    {
        var stderr = new StringWriter();
        int code = TimeCommand.Run(1, 2, 2, 2, int.MaxValue, 0.95, "cpu", "thread", 1, "auto", new StringWriter(), stderr);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(stderr.ToString(), Does.StartWith("time: error: --batch 1 --time 2 --input 2 --hidden 2 --inner 2147483647")
            .And.Match(@"need \d+ bytes, more than the \d+ bytes"));
    }
}
