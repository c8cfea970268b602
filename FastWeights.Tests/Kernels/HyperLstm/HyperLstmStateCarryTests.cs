using FastWeights.Kernels.HyperLstm;

namespace FastWeights.Tests.Kernels.HyperLstm;

/// <summary>
/// Passing the final state (h, c, ĥ, ĉ) of one call as the initial state of the next continues the sequence exactly,
/// and the state gradients carry back through both cells (weight gradients: the sum of the halves').
/// Tolerance 1e-6 relative L2: the same float32 operations per step; only the weight-gradient sums are split in two.
/// </summary>
public sealed class HyperLstmStateCarryTests
{
    private const double CarryTolerance = 1e-6;
    private static readonly string[] StateNames = ["h0", "c0", "hh0", "hc0"];
    private static readonly string[] FinalNames = ["hT", "cT", "hhT", "hcT"];

    private static HyperLstmCase Half(HyperLstmCase c, int from, int count, Dictionary<string, double[]> state, Dictionary<string, double[]> stateGrads)
    {
        var values = new Dictionary<string, double[]>(c.Values)
        {
            ["x"] = TimeWindows.Slice(c["x"], c.Batch, c.Time, c.Input, from, count),
        };
        foreach (var (name, v) in state) values[name] = v;
        return new HyperLstmCase
        {
            Batch = c.Batch, Time = count, Input = c.Input, Hidden = c.Hidden, HyperHidden = c.HyperHidden, Embedding = c.Embedding,
            Values = values, Dy = TimeWindows.Slice(c.Dy, c.Batch, c.Time, c.Hidden, from, count), StateGradients = stateGrads,
        };
    }

    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Group)]
    public void TwoHalvesEqualOneCall(SweepSchedule schedule)
    {
        const int B = 2, T = 7, I = 3, H = 5, N = 4, Z = 2, T1 = 3;
        var c = HyperLstmCase.Random(B, T, I, H, N, Z, seed: 42);
        using var layer = new HyperLstmLayer(HyperLstmRunner.AcceleratorFor(schedule), HyperLstmRunner.Options(c, schedule));
        var whole = HyperLstmRunner.Run(layer, c);

        var initial = StateNames.ToDictionary(n => n, n => c[n]);
        var firstForward = HyperLstmRunner.Run(layer, Half(c, 0, T1, initial, new()), backward: false);
        var middle = StateNames.Zip(FinalNames).ToDictionary(p => p.First, p => TimeWindows.D(firstForward[p.Second]));
        var second = HyperLstmRunner.Run(layer, Half(c, T1, T - T1, middle, c.StateGradients));
        var carried = StateNames.Zip(new[] { "dhT", "dcT", "dhhT", "dhcT" }).ToDictionary(p => p.Second, p => TimeWindows.D(second[p.First]));
        var first = HyperLstmRunner.Run(layer, Half(c, 0, T1, initial, carried));

        TimeWindows.AssertTwoCallsEqualOne(first, second, whole, (B, T, T1, I, H), FinalNames, StateNames,
            HyperLstmCase.Names.Skip(5), CarryTolerance);
    }

    /// <summary>The final state may be written over the initial state's views (each element is read before its owner writes it).</summary>
    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Group)]
    public void FinalStateMayAliasInitialState(SweepSchedule schedule)
    {
        var c = HyperLstmCase.Random(2, 4, 3, 5, 4, 2, seed: 8);
        var acc = HyperLstmRunner.AcceleratorFor(schedule);
        using var layer = new HyperLstmLayer(acc, HyperLstmRunner.Options(c, schedule));
        var expected = HyperLstmRunner.Run(layer, c, backward: false);

        using var buffers = new DeviceBuffers(acc);
        var w = HyperLstmCase.Names.Skip(5).Select(n => buffers.Up(c[n])).ToArray();
        var p = new HyperLstmParameters(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15], w[16], w[17]);
        var state = new HyperLstmState(buffers.Up(c["h0"]), buffers.Up(c["c0"]), buffers.Up(c["hh0"]), buffers.Up(c["hc0"]));
        var y = buffers.Up(new double[c.Batch * c.Time * c.Hidden]);
        using var ws = layer.CreateWorkspace(c.Batch, c.Time);
        layer.Forward(acc.DefaultStream, ws, y, state, buffers.Up(c["x"]), state, p, c.Batch, c.Time);
        acc.DefaultStream.Synchronize();
        Assert.Multiple(() =>
        {
            Assert.That(state.H.GetAsArray(), Is.EqualTo(expected["hT"]));
            Assert.That(state.C.GetAsArray(), Is.EqualTo(expected["cT"]));
            Assert.That(state.HyperH.GetAsArray(), Is.EqualTo(expected["hhT"]));
            Assert.That(state.HyperC.GetAsArray(), Is.EqualTo(expected["hcT"]));
        });
    }
}
