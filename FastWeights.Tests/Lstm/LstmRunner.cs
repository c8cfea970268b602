using FastWeights.Kernels.Core;
using FastWeights.Kernels.Lstm;
using FastWeights.Tests.Reference;
using FastWeights.Tests.Support;
using ILGPU;
using ILGPU.Runtime;
using NUnit.Framework;

namespace FastWeights.Tests.Lstm;

/// <summary>Float32 results of one forward (and optionally backward) of <see cref="LstmLayer"/>, by name.</summary>
public sealed record LstmKernelResult(Dictionary<string, float[]> ByName)
{
    public float[] this[string name] => ByName[name];
}

/// <summary>Runs an <see cref="LstmCase"/> through the float32 kernels and compares with the float64 reference.</summary>
public static class LstmRunner
{
    public static LstmOptions Options(LstmCase c, SweepSchedule schedule) => new()
    {
        InputSize = c.Input, HiddenSize = c.Hidden, LayerNormEpsilon = c.Eps, Schedule = schedule,
    };

    private static float[] F(double[] a) => Array.ConvertAll(a, v => (float)v);

    /// <summary>Uploads the case, runs forward (and backward), downloads every output. h0, c0 given unless <paramref name="zeroState"/>.</summary>
    public static LstmKernelResult Run(LstmLayer layer, LstmCase c, bool backward = true, bool zeroState = false)
    {
        var acc = layer.Accelerator;
        int B = c.Batch, T = c.Time, I = c.Input, H = c.Hidden, G4 = 4 * H;
        var owned = new List<MemoryBuffer>();
        ArrayView<float> Up(double[]? a)
        {
            if (a is null) return default;
            var buffer = acc.Allocate1D(F(a));
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
            var p = new LstmParameters(Up(c.WH), Up(c.WX), Up(c.B), Up(c.LnGain), Up(c.LnBias), Up(c.CellLnGain), Up(c.CellLnBias));
            var x = Up(c.X);
            var outputs = new Dictionary<string, ArrayView<float>>
            {
                ["y"] = Zero((long)B * T * H), ["hT"] = Zero(B * H), ["cT"] = Zero(B * H),
            };
            using var ws = layer.CreateWorkspace(B, T);
            var stream = acc.DefaultStream;
            layer.Forward(stream, ws, outputs["y"], outputs["hT"], outputs["cT"], x,
                zeroState ? default : Up(c.H0), zeroState ? default : Up(c.C0), p, B, T);
            if (backward)
            {
                outputs["x"] = Zero((long)B * T * I);
                outputs["h0"] = Zero(B * H);
                outputs["c0"] = Zero(B * H);
                outputs["WH"] = Zero(G4 * H);
                outputs["WX"] = Zero(G4 * I);
                outputs["B"] = Zero(G4);
                outputs["LnGain"] = Zero(G4);
                outputs["LnBias"] = Zero(G4);
                outputs["CellLnGain"] = Zero(H);
                outputs["CellLnBias"] = Zero(H);
                var g = new LstmParameterGradients(outputs["WH"], outputs["WX"], outputs["B"], outputs["LnGain"], outputs["LnBias"],
                    outputs["CellLnGain"], outputs["CellLnBias"]);
                layer.Backward(stream, ws, outputs["x"], outputs["h0"], outputs["c0"], g, Up(c.Dy), Up(c.DhT), Up(c.DcT), x, p, B, T);
            }
            stream.Synchronize();
            return new LstmKernelResult(outputs.ToDictionary(kv => kv.Key, kv => kv.Value.GetAsArray(stream)));
        }
        finally
        {
            foreach (var b in owned) b.Dispose();
        }
    }

    /// <summary>The device to test a schedule on: the group schedule wants GPU-shaped groups.</summary>
    public static Accelerator AcceleratorFor(SweepSchedule schedule) => LayerRunner.AcceleratorFor(schedule);

    /// <summary>
    /// Asserts (all at once) that every output is within <paramref name="forwardTolerance"/> and every gradient within
    /// <paramref name="gradientTolerance"/> relative L2 of the reference; prints each error.
    /// </summary>
    public static void AssertMatches(LstmKernelResult r, LstmReferenceOutputs o, LstmReferenceGradients? g,
        double forwardTolerance, double gradientTolerance)
    {
        Assert.Multiple(() =>
        {
            var pairs = new List<(string, float[], double[], double)>
            {
                ("y", r["y"], o.Y, forwardTolerance), ("hT", r["hT"], o.HT, forwardTolerance), ("cT", r["cT"], o.CT, forwardTolerance),
            };
            if (g is not null)
                pairs.AddRange(g.ByName.Select(kv => (kv.Key, r[kv.Key], kv.Value, gradientTolerance)));
            foreach (var (name, actual, expected, tol) in pairs)
            {
                double err = Tolerance.RelativeL2(Array.ConvertAll(actual, v => (double)v), expected);
                TestContext.Out.WriteLine($"{name}: {err:E2}");
                Assert.That(err, Is.LessThanOrEqualTo(tol), $"{name}: relative L2 error {err:E2} > {tol:E0}");
            }
        });
    }
}
