using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Kernels.Core;
using FastWeights.Kernels.Interop;
using FastWeights.Kernels.LinearFastWeights;

namespace FastWeights.Bench.Commands;

/// <summary>
/// <c>layer --kind dpfp</c>: the case file of the linear fast-weight memory (docs/cli.md, docs/linear-fast-weights.md).
/// </summary>
/// <remarks>
/// <para>Input (all F32): q [B,T,heads,d], k [B,T,heads,d], v [B,T,heads,m], dy [B,T,heads,m]; beta [B,T,heads]
/// (delta rule: required; sum rule: must be absent); optionally W0 [B,heads,m,d'], dWT [B,heads,m,d'], and for the
/// normalised sum rule z0 [B,heads,d'], dzT [B,heads,d']. String metadata: feature_map (identity | elu_plus_one |
/// dpfp1 | dpfp2 | dpfp3), rule (sum | delta), normalize (true | false), optionally epsilon (default 1e-5).</para>
/// <para>Output (all F32): y, WT, zT (normalised sum rule), grad_q, grad_k, grad_v, grad_beta (delta rule),
/// grad_W0, grad_z0 (normalised sum rule); metadata echoes the options and names kind, accelerator, device, schedule.</para>
/// </remarks>
internal static class DpfpLayerCase
{
    private static readonly string[] MetadataKeys = ["feature_map", "rule", "normalize"];

    private static readonly Dictionary<string, FeatureMap> Maps = new(StringComparer.Ordinal)
    {
        ["identity"] = FeatureMap.Identity, ["elu_plus_one"] = FeatureMap.EluPlusOne,
        ["dpfp1"] = FeatureMap.Dpfp1, ["dpfp2"] = FeatureMap.Dpfp2, ["dpfp3"] = FeatureMap.Dpfp3,
    };

    /// <summary>A checked case: sizes, options (schedule Auto) and host inputs.</summary>
    internal sealed record Case(int Batch, int Time, LinearFastWeightOptions Options, LinearFastWeightHostInputs Inputs);

    /// <summary>Runs the case; returns the summary line.</summary>
    public static string Execute(SafeTensorsFile file, string outPath, string accelerator, SweepSchedule schedule)
    {
        var c = Read(file);
        using var device = DeviceOptions.OpenDevice(accelerator, schedule);
        using var layer = new LinearFastWeightLayer(device.Accelerator, c.Options with { Schedule = schedule });
        LinearFastWeightHostResult result;
        // The backward refuses a forward that overflowed or outgrew its anchor slots (docs/linear-fast-weights.md §4):
        // that is the case's data, so it is reported like any other bad input.
        try { result = LinearFastWeightHost.Run(layer, c.Inputs); }
        catch (InvalidOperationException e) { throw new CommandInputException(e.Message); }
        Write(outPath, c, result, device, layer);
        var o = c.Options;
        return $"layer: kind dpfp ran on {DeviceOptions.KindName(device.Kind)} ({device.Accelerator.Name}), schedule {DeviceOptions.ScheduleName(layer.Schedule)}, "
               + $"B={c.Batch} T={c.Time} heads={o.Heads} d={o.KeySize} m={o.ValueSize} d'={layer.FeatureSize} {MapName(o.FeatureMap)} {RuleName(o.Rule)}"
               + $"{(o.Normalize ? " normalized" : "")}; wrote {outPath}";
    }

    /// <summary>Checks every tensor (presence, absence where unused, dtype, shape) and the metadata.</summary>
    internal static Case Read(SafeTensorsFile file)
    {
        int[] qShape = LayerCommand.Info(file, "q").Shape;
        if (qShape.Length != 4 || qShape.Any(x => x < 1))
            throw new CommandInputException($"tensor 'q' must have shape [B,T,heads,d] with every size >= 1, but has shape {LayerCommand.Show(qShape)}.");
        int[] vShape = LayerCommand.Info(file, "v").Shape;
        if (vShape.Length != 4 || vShape[3] < 1)
            throw new CommandInputException($"tensor 'v' must have shape [B,T,heads,m] with m >= 1, but has shape {LayerCommand.Show(vShape)}.");
        int B = qShape[0], T = qShape[1], heads = qShape[2], d = qShape[3], m = vShape[3];

        var map = ReadChoice(file, "feature_map", Maps);
        var rule = ReadChoice(file, "rule", new Dictionary<string, UpdateRule>(StringComparer.Ordinal) { ["sum"] = UpdateRule.Sum, ["delta"] = UpdateRule.Delta });
        var normalize = ReadChoice(file, "normalize", new Dictionary<string, bool>(StringComparer.Ordinal) { ["true"] = true, ["false"] = false });
        double epsilon = 1e-5;
        if (file.Metadata.TryGetValue("epsilon", out string? text)
            && !(double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out epsilon) && double.IsFinite(epsilon) && epsilon > 0))
            throw new CommandInputException($"metadata key 'epsilon' must be a finite number > 0, but is '{text}'.");
        var options = new LinearFastWeightOptions
        {
            Heads = heads, KeySize = d, ValueSize = m, FeatureMap = map, Rule = rule, Normalize = normalize, Epsilon = epsilon,
        };
        try { options.Validate(); }
        catch (ArgumentOutOfRangeException e) { throw new CommandInputException($"the case's sizes are out of range: {e.Message}"); }
        int D = options.FeatureSize();

        bool delta = rule == UpdateRule.Delta, keepsZ = options.KeepsNormalizer;
        var expected = new (string Name, int[] Shape, string Symbolic, bool Used, bool Required)[]
        {
            ("q", [B, T, heads, d], "[B,T,heads,d]", true, true),
            ("k", [B, T, heads, d], "[B,T,heads,d]", true, true),
            ("v", [B, T, heads, m], "[B,T,heads,m]", true, true),
            ("beta", [B, T, heads], "[B,T,heads]", delta, true),
            ("W0", [B, heads, m, D], "[B,heads,m,d']", true, false),
            ("z0", [B, heads, D], "[B,heads,d']", keepsZ, false),
            ("dy", [B, T, heads, m], "[B,T,heads,m]", true, true),
            ("dWT", [B, heads, m, D], "[B,heads,m,d']", true, false),
            ("dzT", [B, heads, D], "[B,heads,d']", keepsZ, false),
        };
        LayerCommand.RejectUnknownTensors(file, expected.Select(e => e.Name), "--kind dpfp");
        foreach (var (name, shape, symbolic, used, required) in expected)
        {
            if (!used)
            {
                if (file.Contains(name))
                    throw new CommandInputException($"tensor '{name}' is not used with rule '{RuleName(rule)}'{(normalize ? "" : " without normalisation")}; remove it.");
                continue;
            }
            LayerCommand.CheckTensor(file, name, shape, symbolic, required, $"B={B}, T={T}, heads={heads}, d={d}, m={m}, d'={D}");
        }

        // Like --kind rnn, every value must be finite: a NaN in q would vanish from the output, one in beta would make
        // every output NaN, and neither says which input was bad.
        float[] Finite(string name)
        {
            float[] values = file.ReadFloat32(name, out _);
            for (int i = 0; i < values.Length; i++)
                if (!float.IsFinite(values[i]))
                    throw new CommandInputException($"tensor '{name}' holds {values[i].ToString(CultureInfo.InvariantCulture)} at flat index {i}; every input must be finite.");
            return values;
        }
        float[]? Optional(string name) => file.Contains(name) ? Finite(name) : null;
        var inputs = new LinearFastWeightHostInputs
        {
            Batch = B, Time = T,
            Q = Finite("q"), K = Finite("k"), V = Finite("v"),
            Beta = Optional("beta"), W0 = Optional("W0"), Z0 = Optional("z0"),
            Dy = Finite("dy"), DwT = Optional("dWT"), DzT = Optional("dzT"),
        };
        return new Case(B, T, options, inputs);
    }

    private static void Write(string outPath, Case c, LinearFastWeightHostResult r, ComputeDevice device, LinearFastWeightLayer layer)
    {
        var o = layer.Options;
        int B = c.Batch, T = c.Time, heads = o.Heads, d = o.KeySize, m = o.ValueSize, D = layer.FeatureSize;
        var writer = new SafeTensorsWriter();
        writer.AddMetadata("kind", "dpfp");
        writer.AddMetadata("feature_map", MapName(o.FeatureMap));
        writer.AddMetadata("rule", RuleName(o.Rule));
        writer.AddMetadata("normalize", o.Normalize ? "true" : "false");
        writer.AddMetadata("epsilon", o.Epsilon.ToString("R", CultureInfo.InvariantCulture));
        writer.AddMetadata("accelerator", DeviceOptions.KindName(device.Kind));
        writer.AddMetadata("device", device.Accelerator.Name);
        writer.AddMetadata("schedule", DeviceOptions.ScheduleName(layer.Schedule));

        static float[] Must(float[]? a, string name) => a ?? throw new InvalidOperationException($"the host path returned no {name}.");
        writer.Add("y", r.Y, B, T, heads, m);
        writer.Add("WT", r.WT, B, heads, m, D);
        if (o.KeepsNormalizer) writer.Add("zT", Must(r.ZT, "zT"), B, heads, D);
        writer.Add("grad_q", Must(r.DQ, "dq"), B, T, heads, d);
        writer.Add("grad_k", Must(r.DK, "dk"), B, T, heads, d);
        writer.Add("grad_v", Must(r.DV, "dv"), B, T, heads, m);
        if (o.Rule == UpdateRule.Delta) writer.Add("grad_beta", Must(r.DBeta, "dbeta"), B, T, heads);
        writer.Add("grad_W0", Must(r.DW0, "dw0"), B, heads, m, D);
        if (o.KeepsNormalizer) writer.Add("grad_z0", Must(r.DZ0, "dz0"), B, heads, D);
        writer.Save(outPath);
    }

    internal static string MapName(FeatureMap map) => Maps.First(p => p.Value == map).Key;

    internal static string RuleName(UpdateRule rule) => rule == UpdateRule.Sum ? "sum" : "delta";

    private static T ReadChoice<T>(SafeTensorsFile file, string key, Dictionary<string, T> choices)
    {
        if (!file.Metadata.TryGetValue(key, out string? text))
            throw new CommandInputException($"metadata key '{key}' is missing from '{file.SourceName}' (needed for --kind dpfp: {string.Join(", ", MetadataKeys)}).");
        return choices.TryGetValue(text, out T? value)
            ? value
            : throw new CommandInputException($"metadata key '{key}' must be one of {string.Join(", ", choices.Keys)}, but is '{text}'.");
    }
}
