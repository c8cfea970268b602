using FastWeights.Kernels.Core;
using FastWeights.Kernels.Gru;

namespace FastWeights.Tests.Kernels.Gru;

/// <summary>
/// Passing hT of one call as h0 of the next continues the sequence exactly, and the state gradient carries back:
/// backward of the second window gives dh0, which as dhT of the first window's backward yields the one-call gradients
/// (weight gradients: the sum of the windows').
/// Tolerance 1e-6 relative L2: both runs do the same float32 operations per step; only the weight-gradient sums are
/// split into two partial sums (a different rounding order), which moves them by a few ulps (~1e-7).
/// </summary>
public sealed class GruStateCarryTests
{
    private const double CarryTolerance = 1e-6;

    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Group)]
    public void TwoWindowsEqualOneCall(SweepSchedule schedule)
    {
        const int B = 2, T = 8, I = 3, H = 6, T1 = 3;
        var c = GruCase.Random(B, T, I, H, seed: 42);
        using var layer = new GruLayer(GruRunner.AcceleratorFor(schedule), GruRunner.Options(c, schedule));
        var whole = GruRunner.Run(layer, c);

        // Forward of the first window only gives the state the second window starts from.
        var firstForward = GruRunner.Run(layer, c.Window(0, T1, c.H0, null), backward: false);
        var second = GruRunner.Run(layer, c.Window(T1, T - T1, TimeWindows.D(firstForward["hT"]), c.DhT));
        var first = GruRunner.Run(layer, c.Window(0, T1, c.H0, TimeWindows.D(second["h0"])));

        TimeWindows.AssertTwoCallsEqualOne(first, second, whole, (B, T, T1, I, H), ["hT"], ["h0"],
            ["WH", "WX", "InputLnGain", "InputLnBias", "RecurrentLnGain", "RecurrentLnBias"], CarryTolerance);
    }

    /// <summary>hT may be the same view as h0 (each element is read before its owner writes it).</summary>
    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Group)]
    public void StateOutputMayAliasStateInput(SweepSchedule schedule)
    {
        var c = GruCase.Random(2, 5, 3, 7, seed: 8);
        var acc = GruRunner.AcceleratorFor(schedule);
        using var layer = new GruLayer(acc, GruRunner.Options(c, schedule));
        var expected = GruRunner.Run(layer, c, backward: false);

        using var buffers = new DeviceBuffers(acc);
        var p = new GruParameters(buffers.Up(c.WH), buffers.Up(c.WX), buffers.Up(c.InputLnGain), buffers.Up(c.InputLnBias),
            buffers.Up(c.RecurrentLnGain), buffers.Up(c.RecurrentLnBias));
        var h = buffers.Up(c.H0);
        using var ws = layer.CreateWorkspace(c.Batch, c.Time);
        layer.Forward(acc.DefaultStream, ws, buffers.Zero(c.Batch * c.Time * c.Hidden), h, buffers.Up(c.X), h, p, c.Batch, c.Time);
        acc.DefaultStream.Synchronize();
        Assert.That(h.GetAsArray(), Is.EqualTo(expected["hT"]));
    }
}
