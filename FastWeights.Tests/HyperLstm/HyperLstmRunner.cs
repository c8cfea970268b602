using FastWeights.Kernels.Core;
using FastWeights.Kernels.HyperLstm;
using FastWeights.Tests.Reference;
using FastWeights.Tests.Support;
using ILGPU;
using ILGPU.Runtime;
using NUnit.Framework;

namespace FastWeights.Tests.HyperLstm;

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
        var acc = layer.Accelerator;
        int B = c.Batch, T = c.Time, H = c.Hidden, N = c.HyperHidden;
        var owned = new List<MemoryBuffer>();
        ArrayView<float> Up(double[]? a)
        {
            if (a is null) return default;
            var buffer = acc.Allocate1D(Array.ConvertAll(a, v => (float)v));
            owned.Add(buffer);
            return buffer.View;
        }
        ArrayView<float> Zero(long n)
        {
            var buffer = acc.Allocate1D<float>(n);
            buffer.MemSetToZero();
            owned.Add(buffer);
            return buffer.View;
        }
        try
        {
            var v = HyperLstmCase.Names.Skip(5).ToDictionary(n => n, n => Up(c[n]));
            var p = new HyperLstmParameters(v["WH"], v["WX"], v["B"], v["LnGain"], v["LnBias"], v["CellLnGain"], v["CellLnBias"],
                v["HyperWH"], v["HyperWHMain"], v["HyperWX"], v["HyperB"], v["HyperLnGain"], v["HyperLnBias"],
                v["HyperCellLnGain"], v["HyperCellLnBias"], v["WZ"], v["BZ"], v["WD"]);
            var x = Up(c["x"]);
            var o = new Dictionary<string, ArrayView<float>>
            {
                ["y"] = Zero((long)B * T * H), ["hT"] = Zero(B * H), ["cT"] = Zero(B * H), ["hhT"] = Zero(B * N), ["hcT"] = Zero(B * N),
            };
            var state0 = zeroState ? default : new HyperLstmState(Up(c["h0"]), Up(c["c0"]), Up(c["hh0"]), Up(c["hc0"]));
            using var ws = layer.CreateWorkspace(B, T);
            var stream = acc.DefaultStream;
            layer.Forward(stream, ws, o["y"], new HyperLstmState(o["hT"], o["cT"], o["hhT"], o["hcT"]), x, state0, p, B, T);
            if (backward)
            {
                foreach (var name in HyperLstmCase.Names) o[name] = Zero(c.Length(name));
                var g = new HyperLstmParameterGradients(o["WH"], o["WX"], o["B"], o["LnGain"], o["LnBias"], o["CellLnGain"], o["CellLnBias"],
                    o["HyperWH"], o["HyperWHMain"], o["HyperWX"], o["HyperB"], o["HyperLnGain"], o["HyperLnBias"],
                    o["HyperCellLnGain"], o["HyperCellLnBias"], o["WZ"], o["BZ"], o["WD"]);
                double[]? S(string name) => c.StateGradients.GetValueOrDefault(name);
                layer.Backward(stream, ws, o["x"], new HyperLstmState(o["h0"], o["c0"], o["hh0"], o["hc0"]), g, Up(c.Dy),
                    new HyperLstmState(Up(S("dhT")), Up(S("dcT")), Up(S("dhhT")), Up(S("dhcT"))), x, p, B, T);
            }
            stream.Synchronize();
            return o.ToDictionary(kv => kv.Key, kv => kv.Value.GetAsArray(stream));
        }
        finally
        {
            foreach (var b in owned) b.Dispose();
        }
    }

    /// <summary>Asserts every output within <paramref name="forwardTolerance"/> and every gradient within <paramref name="gradientTolerance"/> relative L2.</summary>
    public static void AssertMatches(Dictionary<string, float[]> r, Dictionary<string, double[]> outputs, Dictionary<string, double[]>? gradients,
        double forwardTolerance, double gradientTolerance)
    {
        Assert.Multiple(() =>
        {
            var pairs = outputs.Select(kv => (kv.Key, kv.Value, forwardTolerance)).ToList();
            if (gradients is not null) pairs.AddRange(gradients.Select(kv => (kv.Key, kv.Value, gradientTolerance)));
            foreach (var (name, expected, tol) in pairs)
            {
                double err = Tolerance.RelativeL2(Array.ConvertAll(r[name], x => (double)x), expected);
                TestContext.Out.WriteLine($"{name}: {err:E2}");
                Assert.That(err, Is.LessThanOrEqualTo(tol), $"{name}: relative L2 error {err:E2} > {tol:E0}");
            }
        });
    }
}
