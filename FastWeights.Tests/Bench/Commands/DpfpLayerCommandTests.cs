using FastWeights.Bench.Commands;
using FastWeights.Kernels.Interop;
using FastWeights.Kernels.LinearFastWeights;
using FastWeights.Tests.Kernels.LinearFastWeights;

namespace FastWeights.Tests.Bench.Commands;

/// <summary>
/// <c>layer --kind dpfp</c> end to end, in-process on the CPU accelerator: a case file built from
/// <see cref="LinearReferenceCase.Random"/> (inputs rounded to float32 first, so input rounding does not count) goes in;
/// every output tensor is compared with <see cref="LinearFastWeightReference"/>: forward within 1e-5, gradients within
/// 1e-4 relative L2 (the reference's backward is itself checked by central differences in
/// <c>LinearFastWeightReferenceGradientTests</c>). Bad cases exit non-zero with one line and write nothing.
/// </summary>
public sealed class DpfpLayerCommandTests() : TempFolderFixture("fw-dpfp-cmd-")
{
    private static double[] Round(double[] a) => Array.ConvertAll(a, v => (double)(float)v);
    private static double[]? RoundOpt(double[]? a) => a is null ? null : Round(a);
    private static float[] F(double[] a) => Array.ConvertAll(a, v => (float)v);

    private static LinearReferenceCase Rounded(LinearReferenceCase c) => new()
    {
        Config = c.Config, Q = Round(c.Q), K = Round(c.K), V = Round(c.V), Beta = RoundOpt(c.Beta), W0 = RoundOpt(c.W0),
        Z0 = RoundOpt(c.Z0), Dy = Round(c.Dy), DwT = RoundOpt(c.DwT), DzT = RoundOpt(c.DzT),
    };

    private static SafeTensorsWriter Writer(LinearReferenceCase c, string? skip = null, (string Key, string Value)? replace = null)
    {
        var cfg = c.Config;
        int B = cfg.Batch, T = cfg.Time, H = cfg.Heads, d = cfg.KeySize, m = cfg.ValueSize, D = cfg.FeatureSize;
        var w = new SafeTensorsWriter();
        var meta = new Dictionary<string, string>
        {
            ["feature_map"] = DpfpLayerCase.MapName(cfg.Map), ["rule"] = DpfpLayerCase.RuleName(cfg.Rule),
            ["normalize"] = cfg.Normalize ? "true" : "false",
        };
        if (replace is { } r) meta[r.Key] = r.Value;
        foreach (var (k, v) in meta) w.AddMetadata(k, v);
        void Add(string name, double[]? data, params int[] shape)
        {
            if (data is not null && name != skip) w.Add(name, F(data), shape);
        }
        Add("q", c.Q, B, T, H, d);
        Add("k", c.K, B, T, H, d);
        Add("v", c.V, B, T, H, m);
        Add("beta", c.Beta, B, T, H);
        Add("W0", c.W0, B, H, m, D);
        Add("z0", c.Z0, B, H, D);
        Add("dy", c.Dy, B, T, H, m);
        Add("dWT", c.DwT, B, H, m, D);
        Add("dzT", c.DzT, B, H, D);
        return w;
    }

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var schedule in new[] { "thread", "group" })
            foreach (var (map, rule, normalize) in new[] { (FeatureMap.Dpfp2, UpdateRule.Delta, true), (FeatureMap.EluPlusOne, UpdateRule.Sum, true), (FeatureMap.Dpfp1, UpdateRule.Sum, false) })
            {
                var cfg = new LinearReferenceConfig(2, 6, 2, 3, 4, map, rule, normalize);
                yield return new TestCaseData(schedule, cfg).SetName($"Dpfp_{schedule}_{cfg}");
            }
    }

    [TestCaseSource(nameof(Cases))]
    public void OutputsMatchFloat64Reference(string schedule, LinearReferenceConfig cfg)
    {
        var c = Rounded(LinearReferenceCase.Random(cfg, seed: cfg.Seed));
        string casePath = Path.Combine(root, $"{cfg}_{schedule}.safetensors"), outPath = casePath + ".out";
        Writer(c).Save(casePath);
        var (code, stdout, stderr) = CliRun.Capture((o, e) => LayerCommand.Run(casePath, outPath, "cpu", schedule, o, e, kind: "dpfp"));
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("kind dpfp").And.Contain($"schedule {schedule}"));

        var file = SafeTensorsFile.Load(outPath);
        var o = LinearFastWeightReference.Forward(c);
        var g = LinearFastWeightReference.Backward(c);
        var expected = new List<(string, double[]?, double)>
        {
            ("y", o.Y, 1e-5), ("WT", o.WT, 1e-5), ("zT", o.ZT, 1e-5), ("grad_q", g.DQ, 1e-4), ("grad_k", g.DK, 1e-4),
            ("grad_v", g.DV, 1e-4), ("grad_beta", g.DBeta, 1e-4), ("grad_W0", g.DW0, 1e-4), ("grad_z0", g.DZ0, 1e-4),
        };
        Assert.Multiple(() =>
        {
            Assert.That(file.Metadata["kind"], Is.EqualTo("dpfp"));
            foreach (var (name, values, tol) in expected)
            {
                Assert.That(file.Contains(name), Is.EqualTo(values is not null), $"{name} present exactly when the options produce it");
                if (values is null) continue;
                double err = Tolerance.RelativeL2(Array.ConvertAll(file.ReadFloat32(name, out _), v => (double)v), values);
                Assert.That(err, Is.LessThanOrEqualTo(tol), name);
            }
        });
    }

    public static IEnumerable<TestCaseData> BadCases()
    {
        var delta = new LinearReferenceConfig(1, 3, 1, 2, 2, FeatureMap.Dpfp1, UpdateRule.Delta, true);
        var sum = delta with { Rule = UpdateRule.Sum, Normalize = false };
        yield return new TestCaseData(delta, "k", null, "'k' is missing").SetName("Dpfp_MissingK");
        yield return new TestCaseData(delta, "beta", null, "'beta' is missing").SetName("Dpfp_DeltaWithoutBeta");
        yield return new TestCaseData(delta, null, ("rule", "hebb"), "'rule' must be one of").SetName("Dpfp_UnknownRule");
        yield return new TestCaseData(delta, null, ("feature_map", "dpfp4"), "'feature_map' must be one of").SetName("Dpfp_UnknownMap");
        yield return new TestCaseData(delta, null, ("epsilon", "-1"), "'epsilon'").SetName("Dpfp_NegativeEpsilon");
        yield return new TestCaseData(delta with { Rule = UpdateRule.Sum }, null, ("rule", "delta"), "'beta' is missing").SetName("Dpfp_RuleSaysDeltaNoBeta");
        yield return new TestCaseData(delta, null, ("rule", "sum"), "'beta' is not used").SetName("Dpfp_SumWithBeta");
        yield return new TestCaseData(sum, null, ("normalize", "yes"), "'normalize' must be one of").SetName("Dpfp_BadNormalize");
        var identity = delta with { Map = FeatureMap.Identity, Normalize = false };
        yield return new TestCaseData(identity, null, ("normalize", "true"), "non-negative feature map").SetName("Dpfp_IdentityNormalised");
    }

    [TestCaseSource(nameof(BadCases))]
    public void BadCase_OneLineErrorAndNoOutput(LinearReferenceConfig cfg, string? skip, (string, string)? replace, string message)
    {
        var c = LinearReferenceCase.Random(cfg, seed: 3);
        string casePath = Path.Combine(root, "bad_" + Guid.NewGuid().ToString("N") + ".safetensors"), outPath = casePath + ".out";
        Writer(c, skip, replace).Save(casePath);
        var (code, stdout, stderr) = CliRun.Capture((o, e) => LayerCommand.Run(casePath, outPath, "cpu", "thread", o, e, kind: "dpfp"));
        TestContext.Out.WriteLine(stderr.Trim());
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(stderr, Does.StartWith("layer: error: ").And.Contain(message));
        Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(File.Exists(outPath), Is.False);
    }

    [TestCase("q", 1, float.NaN, "tensor 'q' holds NaN at flat index 1")]
    [TestCase("beta", 2, float.PositiveInfinity, "tensor 'beta' holds ∞ at flat index 2")]
    [TestCase("dy", 0, float.NegativeInfinity, "tensor 'dy' holds -∞ at flat index 0")]
    public void NonFiniteInputIsRejectedLikeTheRnnKind(string tensor, int index, float value, string message)
    {
        var c = LinearReferenceCase.Random(new LinearReferenceConfig(1, 3, 1, 2, 2, FeatureMap.Dpfp1, UpdateRule.Delta, true), seed: 3);
        var file = SafeTensorsFile.Parse(Writer(c).ToArray());
        var w = new SafeTensorsWriter();
        foreach (var (k, v) in file.Metadata) w.AddMetadata(k, v);
        foreach (var t in file.Tensors)
        {
            var data = file.ReadFloat32(t.Name, out _);
            if (t.Name == tensor) data[index] = value;
            w.Add(t.Name, data, t.Shape);
        }
        string casePath = Path.Combine(root, $"nonfinite_{tensor}.safetensors");
        w.Save(casePath);
        var stderr = new StringWriter();
        int code = LayerCommand.Run(casePath, casePath + ".out", "cpu", "thread", new StringWriter(), stderr, kind: "dpfp");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(stderr.ToString().Replace("Infinity", "∞"), Does.StartWith("layer: error: ").And.Contain(message));
        Assert.That(File.Exists(casePath + ".out"), Is.False);
    }

    [Test]
    public void AnUnknownTensorIsRejected()
    {
        var c = LinearReferenceCase.Random(new LinearReferenceConfig(1, 3, 1, 2, 2, FeatureMap.Dpfp1, UpdateRule.Delta, true), seed: 3);
        var w = Writer(c);
        w.Add("qq", new float[2], 2);
        string casePath = Path.Combine(root, "extra.safetensors");
        w.Save(casePath);
        var stderr = new StringWriter();
        int code = LayerCommand.Run(casePath, casePath + ".out", "cpu", "thread", new StringWriter(), stderr, kind: "dpfp");
        Assert.That(code, Is.EqualTo(1));
        Assert.That(stderr.ToString(), Does.Contain("tensor 'qq' is not an input of --kind dpfp"));
    }

    [Test]
    public void ShapeMismatch_NamesTheTensor()
    {
        var c = LinearReferenceCase.Random(new LinearReferenceConfig(1, 3, 1, 2, 2, FeatureMap.Dpfp1, UpdateRule.Delta, true), seed: 3);
        var w = Writer(c, skip: "v");
        w.Add("v", new float[1 * 3 * 1 * 2 + 2], 1, 4, 1, 2); // T = 4 instead of 3
        string casePath = Path.Combine(root, "bad_shape.safetensors");
        w.Save(casePath);
        var stderr = new StringWriter();
        int code = LayerCommand.Run(casePath, casePath + ".out", "cpu", "thread", new StringWriter(), stderr, kind: "dpfp");
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(stderr.ToString(), Does.Contain("tensor 'v' must have shape"));
    }
}
