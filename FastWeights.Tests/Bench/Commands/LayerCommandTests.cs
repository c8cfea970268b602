using System.Diagnostics;
using FastWeights.Bench.Commands;
using FastWeights.Kernels.Interop;
using FastWeights.Tests.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Bench.Commands;

/// <summary>
/// The <c>layer</c> command end to end, in-process on the CPU accelerator: a case file from
/// <see cref="ReferenceCase.Random"/> goes in, the output file is compared with the float64 reference
/// evaluated on the float32-rounded inputs (so input rounding does not count). Forward (y, hT, AT) within
/// 1e-5 relative L2 of <see cref="FastWeightRnnReference.Forward"/>; every gradient within 1e-4 of
/// <see cref="FastWeightRnnReference.FiniteDifferences"/>.
/// </summary>
public sealed class LayerCommandTests() : TempFolderFixture("fw-layer-cmd-")
{
    // Finite differences are the slow part; the same case is compared under both schedules.
    private static readonly Dictionary<(ReferenceConfig, int, bool), (ReferenceOutputs, ReferenceGradients)> expectedCache = [];

    private static (ReferenceOutputs Out, ReferenceGradients Grad) Expected(ReferenceCase rounded, int seed, bool stateGrads, bool finiteDifferences)
    {
        var key = (rounded.Config, seed, stateGrads);
        lock (expectedCache)
        {
            if (!expectedCache.TryGetValue(key, out var e))
            {
                var o = FastWeightRnnReference.Forward(rounded.Config, rounded.Params, rounded.Inputs);
                var g = finiteDifferences
                    ? FastWeightRnnReference.FiniteDifferences(rounded.Config, rounded.Params, rounded.Inputs, rounded.Dy, rounded.DhT, rounded.DAT)
                    : FastWeightRnnReference.Backward(rounded.Config, rounded.Params, rounded.Inputs, rounded.Dy, rounded.DhT, rounded.DAT);
                e = (o, g);
                expectedCache[key] = e;
            }
            return e;
        }
    }

    public static IEnumerable<TestCaseData> Cases()
    {
        // (T, H, S, λ, η, relu, stateGrads); B = 2, I = 3.
        var shapes = new (int T, int H, int S, double Decay, double Eta, bool Relu, bool StateGrads)[]
        {
            (5, 8, 1, 0.95, 0.5, false, true),
            (12, 13, 2, 0.9, 0.5, true, false),
            (20, 24, 2, 0.9, 0.3, true, true),
            (40, 16, 3, 0.95, 0.5, false, false),
        };
        foreach (var schedule in new[] { "thread", "group" })
            foreach (var s in shapes)
            {
                var cfg = new ReferenceConfig(2, s.T, 3, s.H, s.S, s.Decay, s.Eta, s.Relu);
                yield return new TestCaseData(schedule, cfg, s.StateGrads)
                    .SetName($"Layer_{schedule}_T{s.T}_H{s.H}_S{s.S}_{(s.Relu ? "relu" : "tanh")}{(s.StateGrads ? "_stateGrads" : "")}");
            }
    }

    [TestCaseSource(nameof(Cases))]
    public void OutputsMatchFloat64Reference(string schedule, ReferenceConfig cfg, bool stateGrads)
    {
        // For ReLU, the first seed from the base one whose every activation argument is at least 1e-4 away
        // from the kink at 0: finite differences (step 1e-6) across the kink would be meaningless.
        int seed = cfg.Hidden * 31 + cfg.Time;
        var c = BenchCaseFiles.Rounded(ReferenceCase.Random(cfg, seed, withStateGradients: stateGrads));
        while (cfg.Relu && FastWeightRnnReference.MinAbsActivationArgument(c.Config, c.Params, c.Inputs) < 1e-4)
            c = BenchCaseFiles.Rounded(ReferenceCase.Random(cfg, ++seed, withStateGradients: stateGrads));
        TestContext.Out.WriteLine($"seed {seed}");
        var (expectedOut, expectedGrad) = Expected(c, seed, stateGrads, finiteDifferences: true);

        var (file, line) = RunLayer(c, schedule, $"{TestContext.CurrentContext.Test.Name}");
        Assert.That(line, Does.Contain($"schedule {schedule}"));
        Assert.That(file.Metadata["schedule"], Is.EqualTo(schedule));
        Assert.That(file.Metadata["accelerator"], Is.EqualTo(schedule == "group" ? "cpu-nvidia" : "cpu"));
        CompareAll(file, c, expectedOut, expectedGrad, forwardTol: 1e-5, gradTol: 1e-4);
    }

    /// <summary>
    /// T = 300 with λ = 0.9: many checkpoint intervals, so A is rebuilt backwards across many anchors.
    /// The trajectory must not be chaotic (float32 and float64 would diverge whatever the kernels do); with
    /// ReferenceCase.Random's W ~ U(−1,1)/√H and this seed it is contracting: measured errors are ~2e-7
    /// (forward) and ~2e-6 (gradients), far inside the 1e-3 asked for, so W needs no extra scaling.
    /// </summary>
    [TestCase("thread")]
    [TestCase("group")]
    public void LongSequenceMatchesFloat64Reference(string schedule)
    {
        var cfg = new ReferenceConfig(2, 300, 3, 8, 1, 0.9, 0.5, false);
        const int seed = 300;
        var c = BenchCaseFiles.Rounded(ReferenceCase.Random(cfg, seed, withStateGradients: true));
        var (expectedOut, expectedGrad) = Expected(c, seed, true, finiteDifferences: true);

        var (file, _) = RunLayer(c, schedule, $"long_{schedule}");
        CompareAll(file, c, expectedOut, expectedGrad, forwardTol: 1e-3, gradTol: 1e-3);
    }

    [Test]
    public void RunsThroughTheCommandLineParser()
    {
        var cfg = new ReferenceConfig(2, 5, 3, 8, 1, 0.95, 0.5, false);
        var c = BenchCaseFiles.Rounded(ReferenceCase.Random(cfg, 7));
        string casePath = Path.Combine(root, "cli_case.safetensors"), outPath = Path.Combine(root, "cli_out.safetensors");
        BenchCaseFiles.Writer(c).Save(casePath);
        var (code, stdout, stderr) = CliRun.Invoke(["layer", "--case", casePath, "--out", outPath, "--accelerator", "cpu", "--schedule", "thread"]);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.StartWith("layer: ran on cpu").And.Contain("B=2 T=5 I=3 H=8 S=1").And.Contain(outPath));
        Assert.That(File.Exists(outPath));
    }

    // ---- rejections ----------------------------------------------------------------------------------

    private static ReferenceCase SmallCase(bool relu = false) =>
        BenchCaseFiles.Rounded(ReferenceCase.Random(new ReferenceConfig(2, 4, 3, 5, 2, 0.9, 0.5, relu), 11));

    [TestCase("x")]
    [TestCase("W")]
    [TestCase("C")]
    [TestCase("ln_bias")]
    [TestCase("dy")]
    public void MissingTensorIsRejected(string tensor) => AssertRejectedWithout(tensor, $"tensor '{tensor}' is missing");

    /// <summary>The small case written without the tensor or metadata entry <paramref name="name"/> is rejected with <paramref name="expected"/> in the message.</summary>
    private void AssertRejectedWithout(string name, string expected)
    {
        var message = Rejected(BenchCaseFiles.Writer(SmallCase(), skip: new HashSet<string> { name }));
        Assert.That(message, Does.Contain(expected));
    }

    [TestCase("C", new[] { 3, 5 }, "[5, 3]")]
    [TestCase("h0", new[] { 2, 4 }, "[2, 5]")]
    [TestCase("A0", new[] { 2, 25 }, "[2, 5, 5]")]
    [TestCase("dy", new[] { 2, 4, 6 }, "[2, 4, 5]")]
    [TestCase("dAT", new[] { 2, 5, 4 }, "[2, 5, 5]")]
    [TestCase("b", new[] { 1, 5 }, "[5]")]
    public void WrongShapeIsRejectedNamingTheTensor(string tensor, int[] shape, string expected)
    {
        var data = new float[shape.Aggregate(1, (a, d) => a * d)];
        var message = Rejected(BenchCaseFiles.Writer(SmallCase(),
            replaceTensors: new Dictionary<string, (float[], int[])> { [tensor] = (data, shape) }));
        Assert.That(message, Does.Contain($"tensor '{tensor}'").And.Contain(expected).And.Contain("[" + string.Join(", ", shape) + "]"));
    }

    [Test]
    public void RankOfXAndWAreChecked()
    {
        var c = SmallCase();
        Assert.That(Rejected(BenchCaseFiles.Writer(c, replaceTensors: new Dictionary<string, (float[], int[])> { ["x"] = (new float[24], [8, 3]) })),
            Does.Contain("tensor 'x' must have shape [B,T,I]"));
        Assert.That(Rejected(BenchCaseFiles.Writer(c, replaceTensors: new Dictionary<string, (float[], int[])> { ["W"] = (new float[30], [5, 6]) })),
            Does.Contain("tensor 'W' must have shape [H,H]"));
    }

    [TestCase("decay")]
    [TestCase("fast_lr")]
    [TestCase("inner_steps")]
    [TestCase("ln_eps")]
    [TestCase("activation")]
    public void MissingMetadataIsRejectedNamingTheKey(string key) => AssertRejectedWithout(key, $"metadata key '{key}' is missing");

    [TestCase("decay", "abc", "must be a finite number")]
    [TestCase("decay", "0,9", "must be a finite number")] // comma decimal separator: not the invariant culture
    [TestCase("decay", "NaN", "must be a finite number")]
    [TestCase("decay", "1.5", "must lie in (0, 1]")]
    [TestCase("decay", "0", "must lie in (0, 1]")]
    [TestCase("fast_lr", "-0.1", "must be >= 0")]
    [TestCase("inner_steps", "1.5", "must be an integer")]
    [TestCase("inner_steps", "0", "must be >= 1")]
    [TestCase("ln_eps", "0", "must be > 0")]
    [TestCase("activation", "sigmoid", "must be 'tanh' or 'relu'")]
    [TestCase("activation", "TANH", "must be 'tanh' or 'relu'")]
    public void BadMetadataIsRejectedNamingTheKey(string key, string value, string expected)
    {
        var message = Rejected(BenchCaseFiles.Writer(SmallCase(), replace: new Dictionary<string, string> { [key] = value }));
        Assert.That(message, Does.Contain($"metadata key '{key}'").And.Contain(expected));
    }

    [Test]
    public void NonFiniteInputIsRejected()
    {
        var c = SmallCase();
        var x = BenchCaseFiles.F(c.Inputs.X);
        x[3] = float.NaN;
        var message = Rejected(BenchCaseFiles.Writer(c, replaceTensors: new Dictionary<string, (float[], int[])> { ["x"] = (x, [2, 4, 3]) }));
        Assert.That(message, Does.Contain("NaN"));
    }

    [Test]
    public void AnUnknownTensorIsRejected()
    {
        var c = SmallCase();
        var w = BenchCaseFiles.Writer(c);
        w.Add("x_typo", new float[3], 3);
        Assert.That(Rejected(w), Does.Contain("tensor 'x_typo' is not an input of --kind rnn"));
    }

    [Test]
    public void OutEqualToCaseIsRefusedAndTheInputKept()
    {
        string path = Path.Combine(root, "same.safetensors");
        BenchCaseFiles.Writer(SmallCase()).Save(path);
        byte[] before = File.ReadAllBytes(path);
        var (code, stdout, stderr) = Invoke(path, Path.Combine(root, ".", "same.safetensors"), "cpu", "thread");
        AssertOneLineError(code, stdout, stderr);
        Assert.That(stderr, Does.Contain("is the --case file itself"));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
    }

    [Test]
    public void PipesAndDevicesAreRefusedWithoutOpeningThem()
    {
        Assume.That(OperatingSystem.IsLinux(), "named pipes and /dev/zero as found on Linux");
        string fifo = Path.Combine(root, "case.fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        Assert.That(File.Exists(fifo), "mkfifo made the pipe");
        foreach (string path in new[] { fifo, "/dev/zero" })
        {
            string outPath = Path.Combine(root, "from_device.safetensors");
            var (code, stdout, stderr) = Invoke(path, outPath, "cpu", "thread"); // a pipe would block here, /dev/zero read forever
            AssertOneLineError(code, stdout, stderr);
            Assert.That(stderr, Does.Contain($"--case {path} is empty or not a regular file"));
            Assert.That(File.Exists(outPath), Is.False);
        }
    }

    [Test]
    public void TruncatedFileIsRejected()
    {
        byte[] bytes = BenchCaseFiles.Writer(SmallCase()).ToArray();
        string path = Path.Combine(root, "truncated.safetensors");
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - 10).ToArray());
        var (code, stdout, stderr) = Invoke(path, Path.Combine(root, "truncated_out.safetensors"), "cpu", "thread");
        AssertOneLineError(code, stdout, stderr);
        Assert.That(stderr, Does.Contain("Invalid safetensors data").And.Contain(path));

        File.WriteAllBytes(path, bytes.AsSpan(0, 5).ToArray());
        (code, stdout, stderr) = Invoke(path, Path.Combine(root, "truncated_out.safetensors"), "cpu", "thread");
        AssertOneLineError(code, stdout, stderr);
        Assert.That(stderr, Does.Contain("shorter than the 8-byte header length prefix"));
    }

    [Test]
    public void MissingFileAndFolderAreRejected()
    {
        string missing = Path.Combine(root, "does-not-exist.safetensors");
        var (code, stdout, stderr) = Invoke(missing, Path.Combine(root, "o.safetensors"), "cpu", "thread");
        AssertOneLineError(code, stdout, stderr);
        Assert.That(stderr, Does.Contain("was not found"));

        string casePath = Path.Combine(root, "ok_case.safetensors");
        BenchCaseFiles.Writer(SmallCase()).Save(casePath);
        (code, stdout, stderr) = Invoke(casePath, Path.Combine(root, "no-such-folder", "o.safetensors"), "cpu", "thread");
        AssertOneLineError(code, stdout, stderr);
    }

    [Test]
    public void UnknownAcceleratorOrScheduleIsRejected()
    {
        string casePath = Path.Combine(root, "ok_case2.safetensors");
        BenchCaseFiles.Writer(SmallCase()).Save(casePath);
        var (code, stdout, stderr) = Invoke(casePath, Path.Combine(root, "o.safetensors"), "tpu", "thread");
        AssertOneLineError(code, stdout, stderr);
        Assert.That(stderr, Does.Contain("--accelerator"));
        (code, stdout, stderr) = Invoke(casePath, Path.Combine(root, "o.safetensors"), "cpu", "warp");
        AssertOneLineError(code, stdout, stderr);
        Assert.That(stderr, Does.Contain("--schedule"));

        var err = new StringWriter();
        code = BenchCli.Invoke(["layer", "--case", casePath, "--out", "o.safetensors", "--schedule", "warp"], new StringWriter(), err);
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(err.ToString(), Does.Contain("warp"));
    }

    // ---- helpers -------------------------------------------------------------------------------------

    private (SafeTensorsFile File, string Line) RunLayer(ReferenceCase c, string schedule, string name)
    {
        string casePath = Path.Combine(root, name + "_case.safetensors"), outPath = Path.Combine(root, name + "_out.safetensors");
        BenchCaseFiles.Writer(c).Save(casePath);
        var watch = Stopwatch.StartNew();
        var (code, stdout, stderr) = Invoke(casePath, outPath, "cpu", schedule);
        TestContext.Out.WriteLine($"layer command: {watch.ElapsedMilliseconds} ms; {stdout.Trim()}");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stderr, Is.Empty);
        Assert.That(stdout.Trim().Split('\n'), Has.Length.EqualTo(1));
        return (SafeTensorsFile.Load(outPath), stdout);
    }

    private static void CompareAll(SafeTensorsFile file, ReferenceCase c, ReferenceOutputs o, ReferenceGradients g, double forwardTol, double gradTol)
    {
        var cfg = c.Config;
        int B = cfg.Batch, T = cfg.Time, I = cfg.Input, H = cfg.Hidden;
        var pairs = new (string Name, double[] Actual, double[] Expected, double Tol)[]
        {
            ("y", BenchCaseFiles.Read(file, "y", B, T, H), o.Y, forwardTol),
            ("hT", BenchCaseFiles.Read(file, "hT", B, H), o.HT, forwardTol),
            ("AT", BenchCaseFiles.Read(file, "AT", B, H, H), o.AT, forwardTol),
            ("grad_x", BenchCaseFiles.Read(file, "grad_x", B, T, I), g.DX, gradTol),
            ("grad_h0", BenchCaseFiles.Read(file, "grad_h0", B, H), g.DH0, gradTol),
            ("grad_A0", BenchCaseFiles.Read(file, "grad_A0", B, H, H), g.DA0, gradTol),
            ("grad_W", BenchCaseFiles.Read(file, "grad_W", H, H), g.DW, gradTol),
            ("grad_C", BenchCaseFiles.Read(file, "grad_C", H, I), g.DC, gradTol),
            ("grad_b", BenchCaseFiles.Read(file, "grad_b", H), g.DB, gradTol),
            ("grad_ln_gain", BenchCaseFiles.Read(file, "grad_ln_gain", H), g.DLnGain, gradTol),
            ("grad_ln_bias", BenchCaseFiles.Read(file, "grad_ln_bias", H), g.DLnBias, gradTol),
        };
        Assert.Multiple(() =>
        {
            foreach (var (name, actual, expected, tol) in pairs)
            {
                double err = Tolerance.RelativeL2(actual, expected);
                TestContext.Out.WriteLine($"{name}: {err:E2}");
                Assert.That(err, Is.LessThanOrEqualTo(tol), $"{name}: relative L2 error {err:E2} > {tol:E0}");
            }
        });
    }

    private string Rejected(SafeTensorsWriter writer)
    {
        string casePath = Path.Combine(root, "bad_" + Guid.NewGuid().ToString("N") + ".safetensors");
        string outPath = casePath + ".out";
        writer.Save(casePath);
        var (code, stdout, stderr) = Invoke(casePath, outPath, "cpu", "thread");
        AssertOneLineError(code, stdout, stderr);
        Assert.That(File.Exists(outPath), Is.False, "no output is written for a rejected case");
        return stderr;
    }

    private static (int Code, string Stdout, string Stderr) Invoke(string casePath, string outPath, string accelerator, string schedule)
    {
        return CliRun.Capture((o, e) => LayerCommand.Run(casePath, outPath, accelerator, schedule, o, e));
    }

    private static void AssertOneLineError(int code, string stdout, string stderr)
    {
        TestContext.Out.WriteLine(stderr.Trim());
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1), "one line on stderr");
        Assert.That(stderr, Does.StartWith("layer: error: "));
        Assert.That(stderr, Does.Not.Contain("   at "), "no stack trace");
    }
}
