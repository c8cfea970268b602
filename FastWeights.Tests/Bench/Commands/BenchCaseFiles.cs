using System.Globalization;
using FastWeights.Kernels.Interop;
using FastWeights.Tests.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Bench.Commands;

/// <summary>Writes <see cref="ReferenceCase"/>s as layer-command case files, and reads results back.</summary>
internal static class BenchCaseFiles
{
    public static float[] F(double[] a) => Array.ConvertAll(a, v => (float)v);
    public static double[] D(float[] a) => Array.ConvertAll(a, v => (double)v);
    private static double[] Round(double[] a) => D(F(a));

    /// <summary>The case with every array rounded to float32, as the file holds it.</summary>
    public static ReferenceCase Rounded(ReferenceCase c) => new(c.Config,
        new ReferenceParams(Round(c.Params.W), Round(c.Params.C), Round(c.Params.B), Round(c.Params.LnGain), Round(c.Params.LnBias)),
        new ReferenceInputs(Round(c.Inputs.X), Round(c.Inputs.H0), Round(c.Inputs.A0)),
        Round(c.Dy), c.DhT is null ? null : Round(c.DhT), c.DAT is null ? null : Round(c.DAT));

    /// <summary>
    /// A writer holding the case's tensors and metadata; <paramref name="skip"/> leaves tensors or metadata
    /// keys out and <paramref name="replace"/> overrides metadata values, for the rejection tests.
    /// </summary>
    public static SafeTensorsWriter Writer(ReferenceCase c, ISet<string>? skip = null, IReadOnlyDictionary<string, string>? replace = null,
        IReadOnlyDictionary<string, (float[] Data, int[] Shape)>? replaceTensors = null)
    {
        var cfg = c.Config;
        int B = cfg.Batch, T = cfg.Time, I = cfg.Input, H = cfg.Hidden;
        var w = new SafeTensorsWriter();
        var meta = new List<(string, string)>
        {
            ("decay", cfg.Decay.ToString("R", CultureInfo.InvariantCulture)),
            ("fast_lr", cfg.FastLr.ToString("R", CultureInfo.InvariantCulture)),
            ("inner_steps", cfg.InnerSteps.ToString(CultureInfo.InvariantCulture)),
            ("ln_eps", cfg.LnEps.ToString("R", CultureInfo.InvariantCulture)),
            ("activation", cfg.Relu ? "relu" : "tanh"),
        };
        foreach (var (key, value) in meta)
            if (skip is null || !skip.Contains(key))
                w.AddMetadata(key, replace is not null && replace.TryGetValue(key, out var v) ? v : value);

        void Add(string name, double[]? data, params int[] shape)
        {
            if (data is null || (skip is not null && skip.Contains(name))) return;
            if (replaceTensors is not null && replaceTensors.TryGetValue(name, out var r))
                w.Add(name, r.Data, r.Shape);
            else
                w.Add(name, F(data), shape);
        }
        Add("x", c.Inputs.X, B, T, I);
        Add("h0", c.Inputs.H0, B, H);
        Add("A0", c.Inputs.A0, B, H, H);
        Add("W", c.Params.W, H, H);
        Add("C", c.Params.C, H, I);
        Add("b", c.Params.B, H);
        Add("ln_gain", c.Params.LnGain, H);
        Add("ln_bias", c.Params.LnBias, H);
        Add("dy", c.Dy, B, T, H);
        Add("dhT", c.DhT, B, H);
        Add("dAT", c.DAT, B, H, H);
        return w;
    }

    /// <summary>Reads an F32 tensor as doubles and checks its shape.</summary>
    public static double[] Read(SafeTensorsFile file, string name, params int[] shape)
    {
        float[] data = file.ReadFloat32(name, out int[] actual);
        Assert.That(actual, Is.EqualTo(shape), $"shape of output '{name}'");
        return D(data);
    }
}
