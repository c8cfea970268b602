using FastWeights.Bench.Commands;
using FastWeights.Bench.Floor;

namespace FastWeights.Tests.Bench.Commands;

/// <summary>The counts behind the latency floor, and the <c>floor</c> command on the CPU accelerator.</summary>
public sealed class FloorCommandTests
{
    /// <summary>B=2, T=3, I=5, H=4, S=2 counted by hand from ForwardSweep/ReverseSweep (docs/benchmarks.md, "Latency floor").</summary>
    [Test]
    public void CountsMatchAHandCount()
    {
        var c = new StepCost(2, 3, 5, 4, 2);
        Assert.Multiple(() =>
        {
            Assert.That(c.ForwardSequentialMacsPerStep, Is.EqualTo(16 * (1 + 2 + 1)));        // W·h, 2 × A·h, update
            Assert.That(c.BackwardSequentialMacsPerStep, Is.EqualTo(16 * (2 + 2 + 2 * 2 + 1))); // (Ā+Āᵀ)h, decay+rebuild, 2 per inner step, Wᵀdz
            Assert.That(c.ForwardParallelMacs, Is.EqualTo(6 * 4 * 5));
            Assert.That(c.BackwardParallelMacs, Is.EqualTo(6 * 16 + 2 * 6 * 4 * 5));
            Assert.That(c.ForwardMacs, Is.EqualTo(6 * 64 + 120));
            Assert.That(c.BackwardMacs, Is.EqualTo(6 * 144 + 336));
            Assert.That(c.ForwardPhasesPerStep, Is.EqualTo(7));
            Assert.That(c.BackwardPhasesPerStep, Is.EqualTo(9));
            Assert.That(c.TapeBytesPerStep, Is.EqualTo(4 * (4 + 4 + 2 * 2 * 4 + 2)));
        });
    }

    [Test]
    public void PrintsWorkCalibrationFloorAndMeasurement()
    {
        var (code, stdout, stderr) = CliRun.Capture((o, e) => FloorCommand.Run(2, 3, 2, 4, 1, "cpu", 1, o, e));
        Assert.That(code, Is.EqualTo(0), stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.Length.EqualTo(5), stdout);
            Assert.That(lines[1], Does.StartWith($"work forward_macs={new StepCost(2, 3, 2, 4, 1).ForwardMacs} "));
            Assert.That(lines[2], Does.StartWith("calibration host launch_ms="), "the CPU accelerator runs kernels as host loops");
            Assert.That(lines[3], Does.StartWith("floor forward_ms=").And.Contain("(17 launches)"));
            Assert.That(lines[4], Does.StartWith("measured forward_ms=").And.Contain("forward_vs_floor="));
        });
    }

    [Test]
    public void ASizeThatCannotFitIsRefusedWithTheBytesBeforeAllocating()
    {
        var stderr = new StringWriter();
        int code = FloorCommand.Run(1, 2, 2, 2, int.MaxValue, "cpu", 1, new StringWriter(), stderr);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(stderr.ToString(), Does.StartWith("floor: error: --batch 1 --time 2 --input 2 --hidden 2 --inner 2147483647")
            .And.Match(@"need \d+ bytes, more than the \d+ bytes"));
    }

    [Test]
    public void RejectsBadSizes()
    {
        var stderr = new StringWriter();
        Assert.That(FloorCommand.Run(0, 3, 2, 4, 1, "cpu", 1, new StringWriter(), stderr), Is.Not.EqualTo(0));
        Assert.That(stderr.ToString(), Does.Contain("--batch"));
    }
}
