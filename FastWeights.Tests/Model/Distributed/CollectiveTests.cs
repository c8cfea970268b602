using FastWeights.Bench.Commands;
using FastWeights.Model.Distributed;

namespace FastWeights.Tests.Model.Distributed;

/// <summary>The parts of data parallelism that need no second process: the batch split, the group of one, which commands run over ranks.</summary>
public sealed class CollectiveTests
{
    [TestCase(128, 1, 128)]
    [TestCase(128, 2, 64)]
    [TestCase(12, 3, 4)]
    public void TheGlobalBatchSplitsEvenly(int batch, int ranks, int local) =>
        Assert.That(DataParallel.LocalBatch(batch, ranks), Is.EqualTo(local));

    [TestCase(15, 2)]
    [TestCase(2, 4)]
    [TestCase(0, 1)]
    public void ABatchThatDoesNotSplitIsRefusedNamingBoth(int batch, int ranks)
    {
        var e = Assert.Throws<ArgumentException>(() => DataParallel.LocalBatch(batch, ranks))!;
        Assert.That(e.Message, Does.Contain($"the batch of {batch} does not split evenly over {ranks} ranks"));
    }

    [Test]
    public void TheGroupOfOneLeavesEverythingAsItIs()
    {
        var one = SingleProcess.Instance;
        Assert.That((one.Rank, one.Size), Is.EqualTo((0, 1)));
        float[] values = [1.5f, -2f];
        double[] sums = [3.0];
        long[] seeds = [7];
        one.SumInRankOrder(values);
        one.SumInRankOrder(sums);
        one.Broadcast(values);
        one.Broadcast(seeds);
        one.Barrier();
        Assert.That(values, Is.EqualTo(new[] { 1.5f, -2f }));
        Assert.That(sums, Is.EqualTo(new[] { 3.0 }));
        Assert.That(seeds, Is.EqualTo(new[] { 7L }));
        Assert.That(one.Any(true), Is.True);
        Assert.That(one.Any(false), Is.False);
    }

    [TestCase(new[] { "retrieval" }, true)]
    [TestCase(new[] { "retrieval", "train", "--batch", "8" }, true)]
    [TestCase(new[] { "retrieval", "--steps", "5" }, true)]
    [TestCase(new[] { "distributed-check", "--out", "x" }, true)]
    [TestCase(new[] { "retrieval", "eval", "--checkpoint", "x" }, false)]
    [TestCase(new[] { "layer", "--case", "x" }, false)]
    [TestCase(new string[0], false)]
    public void OnlyTrainingRunsOverSeveralRanks(string[] args, bool dataParallel) =>
        Assert.That(BenchProcess.RunsDataParallel(args), Is.EqualTo(dataParallel));

    [Test]
    public void WithoutMpirunTheProcessIsTheGroupOfOne()
    {
        Assert.That(MpiCollective.UnderMpirun, Is.False, "the test host is not started by mpirun");
        Assert.That(BenchProcess.Collective, Is.SameAs(SingleProcess.Instance));
    }
}
