using FastWeights.Bench.Capacity;
using FastWeights.Bench.Cli;
using FastWeights.Bench.Commands;
using FastWeights.Kernels.LinearFastWeights;

namespace FastWeights.Tests.Bench.Commands;

/// <summary>The <c>capacity</c> command on tiny sizes: its table and files, the facts it relies on, its rejections.</summary>
public sealed class CapacityCommandTests() : TempFolderFixture("fw-capacity-", perTest: true)
{
    /// <summary>The output folder: not there before the command runs (a rejected run must not create it).</summary>
    private string Dir => Path.Combine(root, "out");

    [Test]
    public void PrintsTheTableWritesTheFilesAndTheDeltaRuleWinsPastCapacity()
    {
        var (code, stdout, stderr) = CliRun.Capture((o, e) => CapacityCommand.Run(4, 4, "40,1,3", 6, "dpfp1", 1, "cpu", Dir, o, e));
        Assert.That(code, Is.EqualTo(0), stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(lines[0], Is.EqualTo(CapacityCommand.Header));
        var rows = lines.Skip(1).Where(l => !l.StartsWith('#')).Select(l => l.Split(',')).ToArray();
        Assert.That(rows.Select(r => (r[0], r[1], r[3])), Is.EqualTo(new[]
        {
            ("dpfp1", "sum", "1"), ("dpfp1", "sum", "3"), ("dpfp1", "sum", "40"),
            ("dpfp1", "delta", "1"), ("dpfp1", "delta", "3"), ("dpfp1", "delta", "40"),
        }), "maps, then sum before delta, then n ascending");
        Assert.That(rows.Select(r => r[2]).Distinct(), Is.EqualTo(new[] { "8" }), "d' = 2d for DPFP-1");
        double Mse(string rule, string n) => double.Parse(rows.Single(r => r[1] == rule && r[3] == n)[5], System.Globalization.CultureInfo.InvariantCulture);
        double Retrieved(string rule, string n) => double.Parse(rows.Single(r => r[1] == rule && r[3] == n)[6], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Multiple(() =>
        {
            // One pair with |φ(k)| = 1 is stored exactly by both rules: y = v φᵀφ = v (float32 rounding only).
            Assert.That(Mse("sum", "1"), Is.LessThan(1e-10));
            Assert.That(Mse("delta", "1"), Is.LessThan(1e-10));
            Assert.That(Retrieved("sum", "1"), Is.EqualTo(1.0));
            // Five pairs per column: the sum rule's crosstalk grows with n, the delta rule's error stays bounded.
            Assert.That(Mse("delta", "40"), Is.LessThan(Mse("sum", "40") / 2));
        });
        Assert.That(File.ReadAllLines(Path.Combine(Dir, "capacity.csv")), Is.EqualTo(lines.Where(l => !l.StartsWith('#'))));
        Assert.That(new FileInfo(Path.Combine(Dir, "capacity.png")).Length, Is.GreaterThan(1000));
    }

    [TestCase(FeatureMap.Dpfp1)]
    [TestCase(FeatureMap.Dpfp2)]
    [TestCase(FeatureMap.Dpfp3)]
    public void ScaledKeysHaveUnitFeatureNormInTheKernel(FeatureMap map)
    {
        // One sum-rule write of v = e₀ stores W row 0 = φ(k): the kernel's own φ, whose norm the host scaling targets.
        const int d = 5, m = 2;
        var rng = new Random(9);
        var key = new float[d];
        CapacityExperiment.UnitFeatureKey(rng, map, key);
        using var layer = new LinearFastWeightLayer(Devices.Cpu.Accelerator,
            new LinearFastWeightOptions { Heads = 1, KeySize = d, ValueSize = m, FeatureMap = map, Rule = UpdateRule.Sum, Normalize = false });
        var result = LinearFastWeightHost.Run(layer, new LinearFastWeightHostInputs { Batch = 1, Time = 1, Q = key, K = key, V = [1f, 0f] });
        double norm = Math.Sqrt(result.WT.Take(layer.FeatureSize).Sum(x => (double)x * x));
        Assert.That(norm, Is.EqualTo(1.0).Within(1e-5), "float32 φ of the scaled key");
        Assert.That(result.WT.Skip(layer.FeatureSize), Is.All.EqualTo(0f), "row 1 of W stays 0");
    }

    [TestCase(4, 4, "1,2", 2, "elu_plus_one", "--maps")]
    [TestCase(4, 4, "0,2", 2, "dpfp1", "--pairs")]
    [TestCase(4, 4, "1,x", 2, "dpfp1", "--pairs")]
    [TestCase(1, 4, "1,2", 2, "dpfp1", "--key-size")]
    [TestCase(4, 4, "1,2", 0, "dpfp1", "--trials")]
    public void RejectsBadInputNamingTheOption(int keySize, int valueSize, string pairs, int trials, string maps, string option)
    {
        var stderr = new StringWriter();
        int code = CapacityCommand.Run(keySize, valueSize, pairs, trials, maps, 1, "cpu", null, new StringWriter(), stderr);
        Assert.That(code, Is.EqualTo(CommandErrors.InputError));
        Assert.That(stderr.ToString(), Does.Contain(option));
    }

    /// <summary>
    /// Sizes that cannot fit are refused before anything is allocated, with the bytes named, and no --out folder is made:
    /// 2·10⁹ trials of 10⁵ pairs (about 10¹⁷ bytes), and a key size whose features overflow the layer's 32-bit sizes.
    /// </summary>
    [TestCase(4, 4, "100000", 2_000_000_000, "--trials", "2³¹")]
    [TestCase(1_000_000, 1_000_000, "2", 1, "--key-size", "--key-size")]
    public void RefusesSizesThatCannotFit_BeforeAllocating(int keySize, int valueSize, string pairs, int trials, string expectedOption, string expectedWord)
    {
        var stderr = new StringWriter();
        int code = CapacityCommand.Run(keySize, valueSize, pairs, trials, "dpfp1", 1, "cpu", Dir, new StringWriter(), stderr);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(CommandErrors.InputError));
            string error = stderr.ToString();
            Assert.That(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1), error);
            Assert.That(error, Does.StartWith("capacity: error:").And.Contain(expectedOption).And.Contain(expectedWord));
            Assert.That(Directory.Exists(Dir), Is.False, "nothing written");
        });
    }

    /// <summary>
    /// A size the layer accepts but the machine cannot hold: 100 trials of 1000 pairs need ≈ 17 MB of host memory; with the
    /// host limit lowered to 1 MB (<see cref="ResourceCheck.HostLimitVariable"/>, what a user sets to cap a command) it is
    /// refused with the bytes named, before anything is allocated.
    /// </summary>
    [Test]
    public void RefusesWhatTheHostCannotHold_NamingTheBytes()
    {
        var stderr = new StringWriter();
        Environment.SetEnvironmentVariable(ResourceCheck.HostLimitVariable, "1000000");
        int code;
        try { code = CapacityCommand.Run(4, 4, "1000", 100, "dpfp1", 1, "cpu", Dir, new StringWriter(), stderr); }
        finally { Environment.SetEnvironmentVariable(ResourceCheck.HostLimitVariable, null); }
        long needed = CapacityExperiment.Bytes(new CapacitySettings { KeySize = 4, ValueSize = 4, Trials = 100, PairCounts = [1000], Maps = [FeatureMap.Dpfp1] }).Host;
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(CommandErrors.InputError));
            Assert.That(stderr.ToString(), Does.StartWith("capacity: error: --trials").And.Contain($"need {needed} bytes").And.Contain("1000000 bytes"));
            Assert.That(needed, Is.GreaterThan(16_000_000));
            Assert.That(Directory.Exists(Dir), Is.False, "nothing written");
        });
    }

    [Test]
    public void TheByteCount_GrowsWithTheLargestPoint()
    {
        var small = CapacityExperiment.Bytes(new CapacitySettings { KeySize = 4, ValueSize = 4, Trials = 2, PairCounts = [10], Maps = [FeatureMap.Dpfp1] });
        var large = CapacityExperiment.Bytes(new CapacitySettings { KeySize = 4, ValueSize = 4, Trials = 2, PairCounts = [10, 1000], Maps = [FeatureMap.Dpfp1] });
        Assert.Multiple(() =>
        {
            // Host: keys and values of the pairs (B·n·(d + m)) plus q, k, v, β, y over T = 2n steps, 4 bytes each.
            Assert.That(small.Host, Is.EqualTo(4L * (2 * 10 * 4 + 2 * 10 * 4 + 2 * 2 * 20 * 4 + 2 * 2 * 20 * 4 + 2 * 20)));
            Assert.That(large.Device, Is.GreaterThan(small.Device * 20), "T grows 100×; the layer's fixed parts do not");
        });
    }
}
