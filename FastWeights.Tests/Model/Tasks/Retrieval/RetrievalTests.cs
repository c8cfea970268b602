using System.Diagnostics;
using FastWeights.Model.Tasks.Retrieval;

namespace FastWeights.Tests.Model.Tasks.Retrieval;

/// <summary>The associative retrieval task: example format, fixed disjoint splits, batching.</summary>
public sealed class RetrievalTests
{
    // One default-size dataset shared by the tests that only read it.
    private static readonly Lazy<RetrievalSplits> Default = new(() => RetrievalDataset.Create());

    /// <summary>A sampler over <paramref name="split"/> with a buffer for one batch's tokens and one for its targets.</summary>
    private static (BatchSampler Sampler, int[] Tokens, int[] Targets) SamplerWithBuffers(RetrievalSplit split, int batchSize)
    {
        var sampler = new BatchSampler(split, batchSize);
        return (sampler, new int[sampler.TokensPerBatch], new int[sampler.BatchSize]);
    }

    private static void AssertWellFormed(ReadOnlySpan<int> tokens, int target, int pairs)
    {
        Assert.That(tokens.Length, Is.EqualTo(2 * pairs + 3));
        var letters = new HashSet<int>();
        int paired = -1;
        for (int i = 0; i < pairs; i++)
        {
            Assert.That(RetrievalVocabulary.IsLetter(tokens[2 * i]), $"position {2 * i} is not a letter");
            Assert.That(RetrievalVocabulary.IsDigit(tokens[2 * i + 1]), $"position {2 * i + 1} is not a digit");
            Assert.That(letters.Add(tokens[2 * i]), "a letter occurs twice among the keys");
            if (tokens[2 * i] == tokens[2 * pairs + 2]) paired = RetrievalVocabulary.DigitValue(tokens[2 * i + 1]);
        }
        Assert.That(tokens[2 * pairs], Is.EqualTo(RetrievalVocabulary.QueryMark));
        Assert.That(tokens[2 * pairs + 1], Is.EqualTo(RetrievalVocabulary.QueryMark));
        Assert.That(paired, Is.Not.EqualTo(-1), "the query letter is not among the keys");
        Assert.That(target, Is.EqualTo(paired));
    }

    [TestCase(1)]
    [TestCase(4)]
    [TestCase(8)]
    [TestCase(26)]
    public void SampledExamplesAreWellFormed(int pairs)
    {
        var rng = new Random(7);
        for (int n = 0; n < 500; n++)
        {
            var example = RetrievalGenerator.Sample(rng, pairs);
            AssertWellFormed(example.Tokens, example.Target, pairs);
            Assert.That(example.Pairs, Is.EqualTo(pairs));
        }
    }

    [Test]
    public void DefaultExampleLooksLikeThePaper()
    {
        var example = RetrievalGenerator.Sample(new Random(3), 4);
        string text = RetrievalVocabulary.Format(example.Tokens);
        Assert.That(text, Does.Match("^([a-z][0-9]){4}\\?\\?[a-z]$"));
        Assert.That(example.ToString(), Is.EqualTo($"{text} -> {example.Target}"));
    }

    [Test]
    public void QueryPositionAndDigitsVary()
    {
        var rng = new Random(11);
        var queried = new HashSet<int>();
        var targets = new HashSet<int>();
        for (int n = 0; n < 2000; n++)
        {
            var e = RetrievalGenerator.Sample(rng, 4);
            for (int i = 0; i < 4; i++) if (e.Tokens[2 * i] == e.Tokens[^1]) queried.Add(i);
            targets.Add(e.Target);
        }
        Assert.That(queried, Is.EquivalentTo(new[] { 0, 1, 2, 3 }));
        Assert.That(targets, Is.EquivalentTo(Enumerable.Range(0, 10)));
    }

    [TestCase(0)]
    [TestCase(27)]
    public void PairsOutsideOneToTwentySixAreRejected(int pairs)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RetrievalGenerator.Sample(new Random(1), pairs));
        Assert.Throws<ArgumentOutOfRangeException>(() => RetrievalDataset.Create(pairs, 1, 1, 1));
    }

    [Test]
    public void VocabularyRoundTrips()
    {
        Assert.That(RetrievalVocabulary.Size, Is.EqualTo(37));
        for (int id = 0; id < RetrievalVocabulary.Size; id++)
            Assert.That(RetrievalVocabulary.Encode(RetrievalVocabulary.Decode(id)), Is.EqualTo(id));
        Assert.Multiple(() =>
        {
            Assert.That(RetrievalVocabulary.Encode('a'), Is.EqualTo(0));
            Assert.That(RetrievalVocabulary.Encode('z'), Is.EqualTo(25));
            Assert.That(RetrievalVocabulary.Encode('0'), Is.EqualTo(26));
            Assert.That(RetrievalVocabulary.Encode('9'), Is.EqualTo(35));
            Assert.That(RetrievalVocabulary.Encode('?'), Is.EqualTo(36));
            Assert.That(RetrievalVocabulary.Format(RetrievalVocabulary.Encode("c9k8j3f1??c")), Is.EqualTo("c9k8j3f1??c"));
        });
        Assert.Throws<ArgumentOutOfRangeException>(() => RetrievalVocabulary.Encode('A'));
        Assert.Throws<ArgumentOutOfRangeException>(() => RetrievalVocabulary.Decode(37));
        Assert.Throws<ArgumentOutOfRangeException>(() => RetrievalVocabulary.Decode(-1));
    }

    [Test]
    public void PaperExampleHasTargetNine()
    {
        var tokens = RetrievalVocabulary.Encode("c9k8j3f1??c");
        AssertWellFormed(tokens, 9, 4);
    }

    [Test]
    public void DefaultSplitsHaveTheRequestedSizesAndLayout()
    {
        var splits = Default.Value;
        Assert.Multiple(() =>
        {
            Assert.That(splits.Pairs, Is.EqualTo(4));
            Assert.That(splits.Seed, Is.EqualTo(1));
            Assert.That(splits.Train.Count, Is.EqualTo(100_000));
            Assert.That(splits.Validation.Count, Is.EqualTo(10_000));
            Assert.That(splits.Test.Count, Is.EqualTo(20_000));
            foreach (var split in new[] { splits.Train, splits.Validation, splits.Test })
            {
                Assert.That(split.SequenceLength, Is.EqualTo(11));
                Assert.That(split.Tokens, Has.Length.EqualTo(split.Count * 11));
                Assert.That(split.Targets, Has.Length.EqualTo(split.Count));
            }
        });
        foreach (var split in new[] { splits.Train, splits.Validation, splits.Test })
            for (int i = 0; i < split.Count; i += 97)
                AssertWellFormed(split.TokensOf(i), split.Targets[i], 4);
        var example = splits.Train.Example(5);
        Assert.That(example.Tokens, Is.EqualTo(splits.Train.Tokens.Skip(55).Take(11).ToArray()));
        Assert.That(example.Target, Is.EqualTo(splits.Train.Targets[5]));
    }

    [Test]
    public void SplitsAreDisjointAndHoldNoDuplicates()
    {
        var splits = Default.Value;
        var seen = new HashSet<string>();
        foreach (var split in new[] { splits.Train, splits.Validation, splits.Test })
            for (int i = 0; i < split.Count; i++)
                Assert.That(seen.Add(RetrievalVocabulary.Format(split.TokensOf(i))), $"sequence {i} repeats");
        Assert.That(seen, Has.Count.EqualTo(130_000));
    }

    [Test]
    public void SameSeedGivesIdenticalSplitsAndAnotherSeedDoesNot()
    {
        var a = RetrievalDataset.Create(4, 5000, 500, 1000, seed: 5);
        var b = RetrievalDataset.Create(4, 5000, 500, 1000, seed: 5);
        var c = RetrievalDataset.Create(4, 5000, 500, 1000, seed: 6);
        Assert.Multiple(() =>
        {
            Assert.That(b.Train.Tokens, Is.EqualTo(a.Train.Tokens));
            Assert.That(b.Train.Targets, Is.EqualTo(a.Train.Targets));
            Assert.That(b.Validation.Tokens, Is.EqualTo(a.Validation.Tokens));
            Assert.That(b.Test.Tokens, Is.EqualTo(a.Test.Tokens));
            Assert.That(b.Test.Targets, Is.EqualTo(a.Test.Targets));
            Assert.That(c.Train.Tokens, Is.Not.EqualTo(a.Train.Tokens));
            Assert.That(c.Validation.Tokens, Is.Not.EqualTo(a.Validation.Tokens));
            Assert.That(c.Test.Tokens, Is.Not.EqualTo(a.Test.Tokens));
        });
    }

    [Test]
    public void TestSplitDependsOnlyOnSeedAndItsSize()
    {
        var a = RetrievalDataset.Create(4, 100, 10, 300, seed: 9);
        var b = RetrievalDataset.Create(4, 2000, 700, 300, seed: 9);
        Assert.That(b.Test.Tokens, Is.EqualTo(a.Test.Tokens));
    }

    [Test]
    public void OnePairCannotFillTheDefaultSizes()
    {
        Assert.That(RetrievalDataset.DistinctSequences(1), Is.EqualTo(260));
        Assert.That(RetrievalDataset.DistinctSequences(4), Is.EqualTo(26L * 25 * 24 * 23 * 10_000 * 4));
        Assert.That(RetrievalDataset.DistinctSequences(26), Is.EqualTo(long.MaxValue));
        var ex = Assert.Throws<ArgumentException>(() => RetrievalDataset.Create(pairs: 1));
        Assert.That(ex!.Message, Does.Contain("260"));
        Assert.Throws<ArgumentException>(() => RetrievalDataset.Create(1, 200, 50, 11));
    }

    [Test]
    public void OnePairCanUseEverySequenceExactlyOnce()
    {
        var splits = RetrievalDataset.Create(1, 200, 20, 40);
        var all = new[] { splits.Train, splits.Validation, splits.Test }
            .SelectMany(s => Enumerable.Range(0, s.Count).Select(i => RetrievalVocabulary.Format(s.TokensOf(i))))
            .ToList();
        Assert.That(all.Distinct().Count(), Is.EqualTo(260));
    }

    [Test]
    public void LongSequencesUseTheUnpackedKeyAndStayDistinct()
    {
        var splits = RetrievalDataset.Create(8, 2000, 200, 200, seed: 2);
        var seen = new HashSet<string>();
        foreach (var split in new[] { splits.Train, splits.Validation, splits.Test })
            for (int i = 0; i < split.Count; i++)
            {
                AssertWellFormed(split.TokensOf(i), split.Targets[i], 8);
                Assert.That(seen.Add(RetrievalVocabulary.Format(split.TokensOf(i))));
            }
    }

    [Test]
    public void TwoPairsCanBeDrawnToFullCapacity()
    {
        // K=2 has 26·25·100·2 = 130,000 sequences: the default sizes take every one of them.
        var splits = RetrievalDataset.Create(2);
        Assert.That(splits.Train.Count + splits.Validation.Count + splits.Test.Count, Is.EqualTo(RetrievalDataset.DistinctSequences(2)));
    }

    [Test]
    public void CreationOfTheDefaultSizesIsFast()
    {
        RetrievalDataset.Create(4, 1000, 100, 100); // warm-up (JIT)
        var clock = Stopwatch.StartNew();
        RetrievalDataset.Create();
        Assert.That(clock.Elapsed.TotalSeconds, Is.LessThan(1.0));
    }

    [Test]
    public void TrainingEpochsCoverEachExampleOnceAndDropThePartialBatch()
    {
        var split = RetrievalDataset.Create(4, 1000, 0, 0).Train;
        var (sampler, tokens, targets) = SamplerWithBuffers(split, 64);
        Assert.That(sampler.TrainingBatchesPerEpoch, Is.EqualTo(15));
        var index = Enumerable.Range(0, split.Count).ToDictionary(i => RetrievalVocabulary.Format(split.TokensOf(i)));
        var rng = new Random(4);
        List<int>? firstEpoch = null;
        for (int epoch = 0; epoch < 2; epoch++)
        {
            sampler.Shuffle(rng);
            var visited = new List<int>();
            int batches = 0;
            while (sampler.NextTrainingBatch(tokens, targets))
            {
                batches++;
                for (int r = 0; r < sampler.BatchSize; r++)
                {
                    int i = index[RetrievalVocabulary.Format(tokens.AsSpan(r * 11, 11))];
                    Assert.That(targets[r], Is.EqualTo(split.Targets[i]));
                    visited.Add(i);
                }
            }
            Assert.That(batches, Is.EqualTo(15));
            Assert.That(visited, Is.Unique);
            Assert.That(visited, Has.Count.EqualTo(960));
            Assert.That(sampler.NextTrainingBatch(tokens, targets), Is.False);
            if (firstEpoch is null) firstEpoch = visited;
            else Assert.That(visited, Is.Not.EqualTo(firstEpoch), "the second epoch has the same order");
        }
    }

    [Test]
    public void TrainingEpochWithAnExactMultipleCoversTheWholeSplit()
    {
        var split = RetrievalDataset.Create(3, 600, 0, 0, seed: 3).Train;
        var (sampler, tokens, targets) = SamplerWithBuffers(split, 50);
        sampler.Shuffle(new Random(1));
        var seen = new HashSet<string>();
        while (sampler.NextTrainingBatch(tokens, targets))
            for (int r = 0; r < 50; r++) Assert.That(seen.Add(RetrievalVocabulary.Format(tokens.AsSpan(r * 9, 9))));
        Assert.That(seen, Has.Count.EqualTo(600));
    }

    [Test]
    public void EvaluationWalksTheWholeSplitInOrderWithAPartialLastBatch()
    {
        var split = RetrievalDataset.Create(4, 0, 0, 1000).Test;
        var (sampler, tokens, targets) = SamplerWithBuffers(split, 64);
        Assert.That(sampler.EvaluationBatchCount, Is.EqualTo(16));
        var allTokens = new List<int>();
        var allTargets = new List<int>();
        var sizes = new List<int>();
        for (int b = 0; b < sampler.EvaluationBatchCount; b++)
        {
            int size = sampler.EvaluationBatch(b, tokens, targets);
            sizes.Add(size);
            allTokens.AddRange(tokens.Take(size * 11));
            allTargets.AddRange(targets.Take(size));
        }
        Assert.That(sizes.Take(15), Is.All.EqualTo(64));
        Assert.That(sizes[^1], Is.EqualTo(1000 - 15 * 64));
        Assert.That(allTokens, Is.EqualTo(split.Tokens));
        Assert.That(allTargets, Is.EqualTo(split.Targets));
        Assert.That(tokens.Skip(40 * 11), Is.All.EqualTo(0), "rows past the partial batch are zeroed");
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.EvaluationBatch(16, tokens, targets));
    }

    [Test]
    public void SamplerRejectsShortBuffers()
    {
        var sampler = new BatchSampler(RetrievalDataset.Create(4, 100, 0, 0).Train, 10);
        Assert.Throws<ArgumentException>(() => sampler.NextTrainingBatch(new int[109], new int[10]));
        Assert.Throws<ArgumentException>(() => sampler.NextTrainingBatch(new int[110], new int[9]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchSampler(sampler.Split, 0));
    }
}
