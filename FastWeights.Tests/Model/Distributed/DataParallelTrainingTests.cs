using System.Globalization;
using FastWeights.Bench.Commands;
using FastWeights.Kernels.Interop;

namespace FastWeights.Tests.Model.Distributed;

/// <summary>
/// Data-parallel training under `mpirun -np 2` (the hidden `distributed-check` driver and `retrieval train`), against one
/// process with the whole batch: one step with 2 ranks of B/2 equals one step of one process with B up to float32
/// rounding; the ranks' parameters stay bit-identical over many steps and from run to run; a rank that dies or hangs
/// ends the job with an error instead of a hang. Needs OpenMPI (see <see cref="Mpirun"/>).
/// </summary>
[NonParallelizable]
public sealed class DataParallelTrainingTests() : TempFolderFixture("fw-mpi-")
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(180);
    private const double U = 1.0 / (1 << 24); // float32 unit roundoff
    private const int Batch = 8, SequenceLength = 11; // K = 4 pairs: 2K + 3 tokens
    private const double LearningRate = 1e-3, AdamEpsilon = 1e-8;
    private string Folder(string name) => Path.Combine(root, name);

    /// <summary>The one-process reference, in this process (no mpirun: the group of one).</summary>
    private static void RunAlone(string output, params string[] args)
    {
        var stderr = new StringWriter();
        int code = BenchCli.Invoke([DistributedCheckCommand.Name, "--out", output, .. args], new StringWriter(), stderr);
        Assert.That(code, Is.Zero, stderr.ToString());
    }

    private static Mpirun.Result RunTwo(string output, params string[] args)
    {
        var result = Mpirun.Run(2, Limit, null, [DistributedCheckCommand.Name, "--out", output, .. args]);
        Assert.That(result.ExitCode, Is.Zero, result.Output);
        return result;
    }

    private static Dictionary<string, float[]> Tensors(SafeTensorsFile file, string prefix) =>
        file.Tensors.Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(t => t.Name[prefix.Length..], t => file.ReadFloat32(t.Name, out _));

    private static double Meta(SafeTensorsFile file, string key) => double.Parse(file.Metadata[key], CultureInfo.InvariantCulture);

    /// <summary>
    /// One step, 2 ranks × B/2 against 1 process × B (B = 8, T = 11). Compared:
    /// <list type="bullet">
    /// <item>Loss and accuracy of the batch. Each example's forward is the same computation whichever batch it is in (the
    /// kernels treat sequences independently), so the per-example losses are the same bits; only the float64 sum of the
    /// 8 losses is ordered differently: |Δ| ≤ 1e-12.</item>
    /// <item>The averaged gradient Adam receives. Every element is a float32 sum over the n = B·T (example, step) terms
    /// of the batch, which the two runs group differently (all n in one sum, against two sums of n/2 added in rank
    /// order); the scalings 1/B and (1/(B/2))·(1/2) are powers of two, exact. Reordering a float32 sum of n terms moves it
    /// by at most 2(n−1)u·Σ|terms| (u = 2^-24, Higham's bound for recursive summation, once for each run); with the
    /// tensor's largest gradient as the scale of its terms, |Δg_i| ≤ 2n·u·‖g‖_∞ per tensor (1.05e-5 relative here).</item>
    /// <item>The parameters after Adam's first step, θ₁ = θ₀ − lr·x/(|x| + ε) with x the (clipped) gradient. The map
    /// x ↦ x/(|x|+ε) has slope ε/(|x|+ε)², largest at the smaller |x| of the two runs (1/ε when their signs differ),
    /// so |Δθ_i| ≤ lr·|Δx_i|·slope_i, plus float32 rounding of each run's update and subtraction, 8u·(|θ| + lr).</item>
    /// <item>The two ranks' parameters after the step: the same bits.</item>
    /// </list>
    /// </summary>
    [TestCase("fw")]
    [TestCase("dpfp-sum")]
    [TestCase("dpfp-delta")]
    public void OneStepOfTwoHalfBatchesEqualsOneStepOfTheWholeBatch(string model)
    {
        string one = Folder($"{model}-one"), two = Folder($"{model}-two");
        RunAlone(one, "--model", model, "--batch", $"{Batch}", "--steps", "1");
        RunTwo(two, "--model", model, "--batch", $"{Batch}", "--steps", "1");
        var single = SafeTensorsFile.Load(Path.Combine(one, "rank0.step1.safetensors"));
        var rank0 = SafeTensorsFile.Load(Path.Combine(two, "rank0.step1.safetensors"));
        var rank1 = SafeTensorsFile.Load(Path.Combine(two, "rank1.step1.safetensors"));

        Assert.That(Meta(rank0, "loss"), Is.EqualTo(Meta(single, "loss")).Within(1e-12), "loss of the batch");
        Assert.That(Meta(rank0, "accuracy"), Is.EqualTo(Meta(single, "accuracy")), "accuracy of the batch");

        var g1 = Tensors(single, "grad."); var g2 = Tensors(rank0, "grad.");
        var v1 = Tensors(single, "value."); var v2 = Tensors(rank0, "value.");
        Assert.That(g2.Keys, Is.EquivalentTo(g1.Keys));
        // The clip scale min(1, 5/(norm + 1e-6)) of each run (1 unless the norm exceeds 5).
        double s1 = Math.Min(1, 5 / (Meta(single, "grad_norm") + 1e-6)), s2 = Math.Min(1, 5 / (Meta(rank0, "grad_norm") + 1e-6));
        int n = Batch * SequenceLength;
        foreach (string name in g1.Keys)
        {
            float[] a = g1[name], b = g2[name];
            double scale = a.Max(x => Math.Abs((double)x));
            double gradientBound = 2.0 * n * U * scale;
            for (int i = 0; i < a.Length; i++)
            {
                Assert.That(Math.Abs((double)b[i] - a[i]), Is.LessThanOrEqualTo(gradientBound), $"{model}: gradient of {name}[{i}]: {a[i]} vs {b[i]}");
                double x1 = s1 * a[i], x2 = s2 * b[i];
                double slope = Math.Sign(x1) == Math.Sign(x2)
                    ? AdamEpsilon / Math.Pow(Math.Min(Math.Abs(x1), Math.Abs(x2)) + AdamEpsilon, 2)
                    : 1 / AdamEpsilon;
                double theta = Math.Abs((double)v1[name][i]);
                double bound = LearningRate * Math.Abs(x1 - x2) * slope + 8 * U * (theta + LearningRate);
                Assert.That(Math.Abs((double)v2[name][i] - v1[name][i]), Is.LessThanOrEqualTo(bound), $"{model}: {name}[{i}] after the step");
            }
        }
        Assert.That(Bits(Tensors(rank1, "value.")), Is.EqualTo(Bits(v2)), $"{model}: the two ranks' parameters after the step");
    }

    private static uint[] Bits(Dictionary<string, float[]> tensors) =>
        tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).SelectMany(kv => kv.Value).Select(BitConverter.SingleToUInt32Bits).ToArray();

    /// <summary>
    /// 200 steps with 2 ranks: every rank ends with the same bits (the gradient average is computed by the same operations
    /// in the same order on each, nothing is re-broadcast after the start), and a second run ends with the same bits again
    /// (the rank-order sum does not depend on timing). The ranks start from different draws (seed + rank), so this also
    /// checks that the initial parameters are broadcast from rank 0.
    /// </summary>
    [Test]
    public void ParametersStayBitIdenticalAcrossRanksAndRuns()
    {
        string first = Folder("many-1"), second = Folder("many-2");
        RunTwo(first, "--model", "fw", "--batch", "8", "--steps", "200");
        RunTwo(second, "--model", "fw", "--batch", "8", "--steps", "200");
        uint[] Final(string folder, int rank) => Bits(Tensors(SafeTensorsFile.Load(Path.Combine(folder, $"rank{rank}.final.safetensors")), "value."));
        uint[] reference = Final(first, 0);
        Assert.That(Final(first, 1), Is.EqualTo(reference), "rank 1 against rank 0 after 200 steps");
        Assert.That(Final(second, 0), Is.EqualTo(reference), "a second run against the first");
        Assert.That(Final(second, 1), Is.EqualTo(reference), "a second run's rank 1");
        var start = Tensors(SafeTensorsFile.Load(Path.Combine(first, "rank0.step1.safetensors")), "value.");
        Assert.That(Bits(start), Is.Not.EqualTo(reference), "the parameters moved in 200 steps");
    }

    /// <summary>
    /// Ranks started with different options (here the batch): before the first step rank 0's seeds, batch, data sizes and
    /// architecture are broadcast, and the rank that differs refuses with one line naming both values; the job ends.
    /// </summary>
    [Test]
    public void RanksGivenDifferentOptionsAreRefused()
    {
        string output = Folder("mismatch");
        var result = Mpirun.RunEach(Limit,
            [DistributedCheckCommand.Name, "--out", output, "--batch", "8"],
            [DistributedCheckCommand.Name, "--out", output, "--batch", "16"]);
        Assert.That(result.ExitCode, Is.Not.Zero, result.Output);
        Assert.That(result.Output, Does.Contain("distributed-check: error: rank 1 was given the batch 16, rank 0 8: every rank must be started with the same options."),
            result.Output);
        Assert.That(File.Exists(Path.Combine(output, "rank0.step1.safetensors")), Is.False, "no step was taken");
    }

    /// <summary>A rank killed (SIGKILL) before step 5: mpirun ends the other and exits non-zero, naming the dead rank.</summary>
    [Test]
    public void ARankThatDiesEndsTheJobWithAnError()
    {
        var result = Mpirun.Run(2, Limit, null, DistributedCheckCommand.Name, "--out", Folder("die"), "--steps", "50", "--fail-rank", "1", "--fail-at-step", "5");
        Assert.That(result.ExitCode, Is.Not.Zero, result.Output);
        Assert.That(result.Output, Does.Contain("rank 1").And.Contain("signal 9"), "mpirun names the rank that died");
        Assert.That(File.Exists(Path.Combine(Folder("die"), "rank0.final.safetensors")), Is.False, "rank 0 did not go on alone");
    }

    /// <summary>
    /// A rank that hangs before step 5 (alive, never reaching its next collective call): the other rank's watchdog gives
    /// up after $FASTWEIGHTS_COLLECTIVE_TIMEOUT = 3 s with one line, and mpirun ends the hanging rank.
    /// </summary>
    [Test]
    public void ARankThatHangsEndsTheJobAfterTheTimeout()
    {
        var result = Mpirun.Run(2, Limit, new Dictionary<string, string> { ["FASTWEIGHTS_COLLECTIVE_TIMEOUT"] = "3" },
            DistributedCheckCommand.Name, "--out", Folder("hang"), "--steps", "50", "--fail-rank", "1", "--fail-at-step", "5", "--fail-mode", "hang");
        Assert.That(result.ExitCode, Is.Not.Zero, result.Output);
        // Rank 0 waits for the hanging rank 1; on a loaded machine rank 1 may have given up on a slow rank 0 a step earlier,
        // which ends the job the same way.
        Assert.That(result.Output, Does.Match(@"distributed: error: rank [01] of 2 waited more than 3 s in MPI_\w+ for the other ranks"), result.Output);
        Assert.That(result.Seconds, Is.LessThan(Limit.TotalSeconds), "ended by the timeout, not by the test's limit");
    }
}
