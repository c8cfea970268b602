using FastWeights.Kernels.Core;
using FastWeights.Kernels.Lstm;

namespace FastWeights.Tests.Kernels.Lstm;

/// <summary>
/// Passing (hT, cT) of one call as (h0, c0) of the next continues the sequence exactly, and the state gradients
/// carry back: backward of the second half gives (dh0, dc0), which as (dhT, dcT) of the first half's backward yields
/// the one-call gradients (weight gradients: the sum of the halves').
/// Tolerance 1e-6 relative L2: both runs do the same float32 operations per step; only the weight-gradient sums are
/// split into two partial sums (a different rounding order), which moves them by a few ulps (~1e-7).
/// </summary>
public sealed class LstmStateCarryTests
{
    private const double CarryTolerance = 1e-6;

    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Group)]
    public void TwoHalvesEqualOneCall(SweepSchedule schedule)
    {
        const int B = 2, T = 8, I = 3, H = 6, T1 = 3;
        var c = LstmCase.Random(B, T, I, H, seed: 42);
        using var layer = new LstmLayer(LstmRunner.AcceleratorFor(schedule), LstmRunner.Options(c, schedule));
        var whole = LstmRunner.Run(layer, c);

        // Forward of the first half only gives the state the second half starts from.
        var firstForward = LstmRunner.Run(layer, c.Window(0, T1, c.H0, c.C0, null, null), backward: false);
        var second = LstmRunner.Run(layer, c.Window(T1, T - T1, TimeWindows.D(firstForward["hT"]), TimeWindows.D(firstForward["cT"]), c.DhT, c.DcT));
        var first = LstmRunner.Run(layer, c.Window(0, T1, c.H0, c.C0, TimeWindows.D(second["h0"]), TimeWindows.D(second["c0"])));

        TimeWindows.AssertTwoCallsEqualOne(first, second, whole, (B, T, T1, I, H), ["hT", "cT"], ["h0", "c0"],
            ["WH", "WX", "B", "LnGain", "LnBias", "CellLnGain", "CellLnBias"], CarryTolerance);
    }

    /// <summary>hT may be the same view as h0 and cT as c0 (each element is read before its owner writes it).</summary>
    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Group)]
    public void StateOutputsMayAliasStateInputs(SweepSchedule schedule)
    {
        var c = LstmCase.Random(2, 5, 3, 7, seed: 8);
        var acc = LstmRunner.AcceleratorFor(schedule);
        using var layer = new LstmLayer(acc, LstmRunner.Options(c, schedule));
        var expected = LstmRunner.Run(layer, c, backward: false);

        using var buffers = new DeviceBuffers(acc);
        var p = new LstmParameters(buffers.Up(c.WH), buffers.Up(c.WX), buffers.Up(c.B), buffers.Up(c.LnGain), buffers.Up(c.LnBias),
            buffers.Up(c.CellLnGain), buffers.Up(c.CellLnBias));
        var (h, cell) = (buffers.Up(c.H0), buffers.Up(c.C0));
        using var ws = layer.CreateWorkspace(c.Batch, c.Time);
        layer.Forward(acc.DefaultStream, ws, buffers.Zero(c.Batch * c.Time * c.Hidden), h, cell, buffers.Up(c.X), h, cell, p, c.Batch, c.Time);
        acc.DefaultStream.Synchronize();
        Assert.That(h.GetAsArray(), Is.EqualTo(expected["hT"]));
        Assert.That(cell.GetAsArray(), Is.EqualTo(expected["cT"]));
    }
}
