using FastWeights.Kernels.HyperLstm;
using FastWeights.Tests.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Kernels.HyperLstm;

/// <summary>Runs a <see cref="HyperLstmCase"/> through the float32 kernels; results by the reference's names.</summary>
public static class HyperLstmRunner
{
    public static HyperLstmOptions Options(HyperLstmCase c, SweepSchedule schedule) => new()
    {
        InputSize = c.Input, HiddenSize = c.Hidden, HyperHiddenSize = c.HyperHidden, EmbeddingSize = c.Embedding,
        LayerNormEpsilon = c.Eps, Schedule = schedule,
    };

    public static Accelerator AcceleratorFor(SweepSchedule schedule) => LayerRunner.AcceleratorFor(schedule);

    /// <summary>
    /// Forward (and backward) of <paramref name="c"/>. Outputs: y, hT, cT, hhT, hcT; gradients under the names of
    /// <see cref="HyperLstmCase.Names"/>. With <paramref name="zeroState"/> the initial state is passed as empty views.
    /// </summary>
    public static Dictionary<string, float[]> Run(HyperLstmLayer layer, HyperLstmCase c, bool backward = true, bool zeroState = false)
    {
        int B = c.Batch, T = c.Time, H = c.Hidden, N = c.HyperHidden;
        using var buffers = new DeviceBuffers(layer.Accelerator);
        var v = HyperLstmCase.Names.Skip(5).ToDictionary(n => n, n => buffers.Up(c[n]));
        var p = new HyperLstmParameters(v["WH"], v["WX"], v["B"], v["LnGain"], v["LnBias"], v["CellLnGain"], v["CellLnBias"],
            v["HyperWH"], v["HyperWHMain"], v["HyperWX"], v["HyperB"], v["HyperLnGain"], v["HyperLnBias"],
            v["HyperCellLnGain"], v["HyperCellLnBias"], v["WZ"], v["BZ"], v["WD"]);
        var x = buffers.Up(c["x"]);
        var o = new Dictionary<string, ArrayView<float>>
        {
            ["y"] = buffers.Zero((long)B * T * H), ["hT"] = buffers.Zero(B * H), ["cT"] = buffers.Zero(B * H), ["hhT"] = buffers.Zero(B * N), ["hcT"] = buffers.Zero(B * N),
        };
        var state0 = zeroState ? default : new HyperLstmState(buffers.Up(c["h0"]), buffers.Up(c["c0"]), buffers.Up(c["hh0"]), buffers.Up(c["hc0"]));
        using var ws = layer.CreateWorkspace(B, T);
        var stream = layer.Accelerator.DefaultStream;
        layer.Forward(stream, ws, o["y"], new HyperLstmState(o["hT"], o["cT"], o["hhT"], o["hcT"]), x, state0, p, B, T);
        if (backward)
        {
            foreach (var name in HyperLstmCase.Names) o[name] = buffers.Zero(c.Length(name));
            var g = new HyperLstmParameterGradients(o["WH"], o["WX"], o["B"], o["LnGain"], o["LnBias"], o["CellLnGain"], o["CellLnBias"],
                o["HyperWH"], o["HyperWHMain"], o["HyperWX"], o["HyperB"], o["HyperLnGain"], o["HyperLnBias"],
                o["HyperCellLnGain"], o["HyperCellLnBias"], o["WZ"], o["BZ"], o["WD"]);
            double[]? S(string name) => c.StateGradients.GetValueOrDefault(name);
            layer.Backward(stream, ws, o["x"], new HyperLstmState(o["h0"], o["c0"], o["hh0"], o["hc0"]), g, buffers.Up(c.Dy),
                new HyperLstmState(buffers.Up(S("dhT")), buffers.Up(S("dcT")), buffers.Up(S("dhhT")), buffers.Up(S("dhcT"))), x, p, B, T);
        }
        stream.Synchronize();
        return o.ToDictionary(kv => kv.Key, kv => kv.Value.GetAsArray(stream));
    }

    /// <summary>Asserts every output within <paramref name="forwardTolerance"/> and every gradient within <paramref name="gradientTolerance"/> relative L2.</summary>
    public static void AssertMatches(Dictionary<string, float[]> r, Dictionary<string, double[]> outputs, Dictionary<string, double[]>? gradients,
        double forwardTolerance, double gradientTolerance)
    {
        var tensors = outputs.Select(kv => (kv.Key, r[kv.Key], kv.Value, forwardTolerance)).ToList();
        if (gradients is not null) tensors.AddRange(gradients.Select(kv => (kv.Key, r[kv.Key], kv.Value, gradientTolerance)));
        Tolerance.AssertAll(tensors);
    }
}
