using FastWeights.Bench.Commands;
using FastWeights.Kernels.Interop;
using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Model.Training;

namespace FastWeights.Tests.Bench.Retrieval;

/// <summary>
/// `retrieval train` under `mpirun -np 2`: it trains with rank 0 alone writing the run folder, records the number of
/// ranks in the checkpoint, resumes bit-exactly with the same number, refuses another number, and refuses a batch that
/// does not split evenly, with one line. Needs OpenMPI (see <see cref="Mpirun"/>).
/// </summary>
[NonParallelizable]
public sealed class RetrievalUnderMpirunTests() : CliFixture("fw-mpi-retrieval-")
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(180);
    private static readonly string[] Small =
        ["--hidden", "8", "--train-size", "400", "--val-size", "32", "--test-size", "32", "--eval-every", "5",
         "--target-accuracy", "none", "--accelerator", "cpu"];
    private static Mpirun.Result Train(params string[] args)
    {
        var result = Mpirun.Run(2, Limit, null, ["retrieval", "train", .. Small, "--batch", "16", .. args]);
        Assert.That(result.ExitCode, Is.Zero, result.Output);
        return result;
    }

    [Test]
    public void TrainsWritesTheRunOnceAndResumesExactlyWithTheSameRanks()
    {
        string straight = Path.Combine(root, "straight"), split = Path.Combine(root, "split");
        var run = Train("--steps", "20", "--out", straight);
        Assert.That(run.Output, Does.Contain("data parallel over 2 ranks").And.Contain("8 examples each"), run.Output);
        Assert.That(run.Output.Split('\n').Count(l => l.StartsWith("stopped at step 20", StringComparison.Ordinal)), Is.EqualTo(1),
            "only rank 0 prints");
        foreach (string file in (string[])["metrics.csv", "training.png", "checkpoint/model.safetensors", "checkpoint/optimizer.safetensors"])
            Assert.That(File.Exists(Path.Combine(straight, file)), file);
        var metrics = File.ReadAllLines(Path.Combine(straight, "metrics.csv"));
        Assert.That(metrics.Count(l => l.StartsWith("20,", StringComparison.Ordinal)), Is.EqualTo(1), "one writer of metrics.csv");
        var meta = SafeTensorsFile.Load(Path.Combine(straight, "checkpoint", Checkpoint.ModelFileName)).Metadata;
        Assert.That(meta[RetrievalTrainer.RanksKey], Is.EqualTo("2"));
        Assert.That(meta["train.batch_size"], Is.EqualTo("16"), "the global batch is recorded");

        Train("--steps", "10", "--out", split);
        var resumed = Mpirun.Run(2, Limit, null, "retrieval", "train", "--resume", split, "--steps", "20");
        Assert.That(resumed.ExitCode, Is.Zero, resumed.Output);
        Assert.That(ModelBits(split), Is.EqualTo(ModelBits(straight)), "10 steps + resume to 20 against 20 straight, both with 2 ranks");

        // The same run in one process (no mpirun): refused, naming both numbers.
        var stderr = new StringWriter();
        int code = BenchCli.Invoke(["retrieval", "train", "--resume", split, "--steps", "30"], new StringWriter(), stderr);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(stderr.ToString(), Does.StartWith("retrieval: error: --resume").And.Contain("trained with 2 ranks and this is 1 process"));
    }

    [Test]
    public void ABatchThatDoesNotSplitEvenlyIsRefusedWithOneLine()
    {
        string run = Path.Combine(root, "odd");
        var result = Mpirun.Run(2, Limit, null, ["retrieval", "train", .. Small, "--batch", "15", "--steps", "5", "--out", run]);
        Assert.That(result.ExitCode, Is.EqualTo(1), result.Output);
        Assert.That(result.Output, Does.Contain("retrieval: error: --batch 15 does not split evenly over 2 ranks: give a multiple of 2."));
        Assert.That(Directory.Exists(run), Is.False, "nothing written");
    }
}
