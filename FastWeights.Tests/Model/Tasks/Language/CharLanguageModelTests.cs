using FastWeights.Model.Layers;
using FastWeights.Model.Ops;
using FastWeights.Model.Tasks.Language;
using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Model.Training;

namespace FastWeights.Tests.Model.Tasks.Language;

/// <summary>
/// The character-level language model: parameter gradients within a window given the carried state against central
/// differences, streaming chunk by chunk against one call, the trainer's exact resume, the evaluation's coverage, and the
/// vocabulary.
/// </summary>
public sealed class CharLanguageModelTests
{
    private const int V = 11;

    private static RetrievalModelConfig Config(RecurrentKind kind, int window, int layers = 1) =>
        CharLanguageModelStateCarryTests.Config(kind, layers) with { Vocabulary = V, Classes = V, SequenceLength = window, Embedding = 6 };

    private static int[] Tokens(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => rng.Next(V)).ToArray();
    }

    /// <summary>
    /// Every kind: the analytic gradient of the second window's mean loss, given the state the first window left, against
    /// float32 central differences of that loss with the state held fixed, on 24 parameter entries drawn across all tensors.
    /// </summary>
    /// <remarks>
    /// Tolerance 3e-2 relative L2 with step 4e-3: the model is float32 only. The loss (≈ ln V ≈ 2.4, a mean of 16 terms)
    /// is computed with a relative error of a few 1e-7, so each difference quotient carries ≈ 2.4·3e-7 / 8e-3 ≈ 1e-4 of
    /// rounding, plus h²/6·f''' ≈ 3e-6 of truncation, against entries of O(1e-2–1e-1): a few 1e-3 relative in all. A
    /// backward that ignored the carried state (zero A, h, c or W at the boundary) or dropped a term is off by O(0.1–1).
    /// </remarks>
    [TestCaseSource(typeof(CharLanguageModelStateCarryTests), nameof(CharLanguageModelStateCarryTests.Kinds))]
    public void WindowGradientsGivenTheCarriedStateMatchCentralDifferences(RecurrentKind kind, int layers)
    {
        const int B = 2, T = 4;
        var acc = Devices.Cpu.Accelerator;
        var stream = acc.DefaultStream;
        using var model = new CharLanguageModel(acc, Config(kind, T, layers), B);
        model.Initialize(3);
        long S = model.StateLength(B);
        using var zero = acc.Allocate1D<float>(S);
        zero.MemSetToZero();
        using var carried = acc.Allocate1D<float>(S);
        using var scratch = acc.Allocate1D<float>(S);
        var text = Tokens(B * (2 * T + 1), 17);
        int[] Window(int w, int shift) => Enumerable.Range(0, B).SelectMany(b => text.AsSpan(b * (2 * T + 1) + w * T + shift, T).ToArray()).ToArray();
        var targets2 = Window(1, 1);
        targets2[3] = SequenceCrossEntropy.Ignored; // an ignored position inside the window

        model.Run(stream, Window(0, 0), Window(0, 1), B, T, zero.View, carried.View, train: false);
        model.Run(stream, Window(1, 0), targets2, B, T, carried.View, scratch.View, train: true);
        var analytic = model.Parameters.Select(p => p.DownloadGrad()).ToArray();

        double Loss() => model.Run(stream, Window(1, 0), targets2, B, T, carried.View, scratch.View, train: false).MeanLoss;
        var rng = new Random(23);
        var a = new List<double>();
        var n = new List<double>();
        const float h = 4e-3f;
        for (int k = 0; k < 24; k++)
        {
            int which = k < model.Parameters.Count ? k : rng.Next(model.Parameters.Count);
            var p = model.Parameters[which];
            var values = p.Download();
            int at = rng.Next(values.Length);
            float saved = values[at];
            values[at] = saved + h; p.Upload(values);
            double plus = Loss();
            values[at] = saved - h; p.Upload(values);
            double minus = Loss();
            values[at] = saved; p.Upload(values);
            a.Add(analytic[which][at]);
            n.Add((plus - minus) / (2.0 * ((double)(saved + h) - saved)));
        }
        double norm = Math.Sqrt(n.Sum(v => v * v));
        Assert.That(norm, Is.GreaterThan(1e-3), "the finite-difference gradient vanishes; the comparison would be vacuous");
        Assert.That(Tolerance.RelativeL2(a.ToArray(), n.ToArray()), Is.LessThanOrEqualTo(3e-2), $"|fd|={norm:E2}");
    }

    [TestCase(RecurrentKind.FastWeights)]
    [TestCase(RecurrentKind.HyperLstm)]
    [TestCase(RecurrentKind.DpfpDelta)]
    public void StreamingChunkByChunkEqualsFeedingEverythingAtOnce(RecurrentKind kind)
    {
        var acc = Devices.Cpu.Accelerator;
        var text = Tokens(23, 5);
        using var small = new CharLanguageModel(acc, Config(kind, 5), 1);   // chunks run as windows of ≤ 5
        using var whole = new CharLanguageModel(acc, Config(kind, 23), 1);  // one window over everything
        small.Initialize(8);
        for (int k = 0; k < small.Parameters.Count; k++) whole.Parameters[k].Upload(small.Parameters[k].Download());

        using var once = new CharLanguageModelStream(whole);
        var expected = new float[23 * V];
        once.Feed(text, expected);
        using var chunked = new CharLanguageModelStream(small);
        var actual = new float[23 * V];
        int start = 0;
        foreach (int len in new[] { 3, 9, 1, 10 })
        {
            chunked.Feed(text.AsSpan(start, len), actual.AsSpan(start * V, len * V));
            start += len;
        }
        static double[] D(ReadOnlySpan<float> a) => Array.ConvertAll(a.ToArray(), v => (double)v);
        Assert.That(chunked.Position, Is.EqualTo(23));
        Assert.That(Tolerance.RelativeL2(D(actual), D(expected)), Is.LessThanOrEqualTo(1e-5), "logits of every position");
        Assert.That(Tolerance.RelativeL2(D(chunked.NextLogits), D(once.NextLogits)), Is.LessThanOrEqualTo(1e-5), "next-token logits");

        chunked.Reset();
        chunked.Feed(text.AsSpan(0, 4));
        once.Reset();
        once.Feed(text.AsSpan(0, 4));
        Assert.That(Tolerance.RelativeL2(D(chunked.NextLogits), D(once.NextLogits)), Is.LessThanOrEqualTo(1e-5), "after a reset");
        Assert.That(chunked.Sample(0, new Random(1)), Is.EqualTo(once.Sample(0, new Random(1))), "temperature 0 takes the argmax");
        Assert.Throws<ArgumentException>(() => chunked.Feed([V]));
    }

    [Test]
    public void ResumedTrainingContinuesBitForBitIncludingTheCarriedState()
    {
        var acc = Devices.Cpu.Accelerator;
        var text = Tokens(4 * 3 * 6 + 5, 9); // 4 streams, 3 windows of 6 per pass (+ targets)
        var options = new TrainingOptions { BatchSize = 4, LearningRate = 1e-2, ClipNorm = 1.0, Seed = 2 };
        using var temp = new TempFolder("fw-lm-resume-");
        string dir = temp.Path;
        float[][] straight;
        using (var model = new CharLanguageModel(acc, Config(RecurrentKind.FastWeights, 6), 4))
        using (var trainer = new LanguageModelTrainer(model, text, options))
        {
            model.Initialize(1);
            for (int s = 0; s < 2; s++) trainer.TrainStep();   // into the middle of a pass: the state is not empty
            trainer.Save(dir, new Dictionary<string, string>());
            for (int s = 0; s < 3; s++) trainer.TrainStep();   // across the start of the next pass
            straight = model.Parameters.Select(p => p.Download()).ToArray();
        }
        using (var model = new CharLanguageModel(acc, Config(RecurrentKind.FastWeights, 6), 4))
        using (var trainer = new LanguageModelTrainer(model, text, options))
        {
            model.Initialize(99);
            trainer.Resume(dir);
            Assert.That(trainer.Step, Is.EqualTo(2));
            for (int s = 0; s < 3; s++) trainer.TrainStep();
            var resumed = model.Parameters.Select(p => p.Download()).ToArray();
            for (int k = 0; k < resumed.Length; k++)
                Assert.That(resumed[k], Is.EqualTo(straight[k]), model.Parameters[k].Name);
        }
    }

    [TestCase(2, 4)]
    [TestCase(37, 3)]
    [TestCase(200, 8)]
    public void EvaluationPredictsEveryCharacterAfterTheFirstOnce(int length, int batch)
    {
        var acc = Devices.Cpu.Accelerator;
        using var model = new CharLanguageModel(acc, Config(RecurrentKind.Lstm, 7), 8);
        model.Initialize(4);
        var text = Tokens(length, 3);
        var r = LanguageModelTrainer.Evaluate(model, text, batch);
        Assert.That(r.Count, Is.EqualTo(length - 1));
        Assert.That(r.BitsPerCharacter, Is.GreaterThan(0).And.LessThan(2 * Math.Log2(V)), "an untrained model is near log2 V bits");

        // One stream, window after window, is the same sum as a plain loop over the stream API's logits.
        var single = LanguageModelTrainer.Evaluate(model, text, 1);
        using var stream = new CharLanguageModelStream(model);
        var logits = new float[(length - 1) * V];
        stream.Feed(text.AsSpan(0, length - 1), logits);
        double sum = 0;
        for (int p = 0; p < length - 1; p++)
        {
            var row = logits.AsSpan(p * V, V).ToArray().Select(v => (double)v).ToArray();
            double max = row.Max();
            sum += Math.Log(row.Sum(v => Math.Exp(v - max))) - (row[text[p + 1]] - max);
        }
        Assert.That(single.Loss, Is.EqualTo(sum / (length - 1)).Within(1e-5).Percent);
    }

    [Test]
    public void VocabularyComesFromTheTrainingTextAndUnknownCharactersMapToId0()
    {
        // 80 training characters over a, b, c; validation and test (10 each, by position) hold x and z, unseen in training.
        string text = string.Concat(Enumerable.Repeat("abca", 20)) + "abcabcabxa" + "zzbcabcabc";
        var corpus = CharCorpus.Create(text, 0.1, 0.1);
        Assert.That(corpus.Vocabulary.Count, Is.EqualTo(4), "a, b, c plus Unknown");
        Assert.That((corpus.Train.Length, corpus.Validation.Length, corpus.Test.Length), Is.EqualTo((80, 10, 10)));
        Assert.That(corpus.Validation[8], Is.EqualTo(CharVocabulary.Unknown), "x");
        Assert.That(corpus.Test.Take(2), Is.All.EqualTo(CharVocabulary.Unknown), "z");
        var v = corpus.Vocabulary;
        Assert.That(v.Encode("cab?"), Is.EqualTo(new[] { 3, 1, 2, CharVocabulary.Unknown }));
        Assert.That(v.Decode(v.Encode("ab\U0001F600")), Is.EqualTo("ab" + CharVocabulary.UnknownText));
        var again = CharVocabulary.FromMetadata(v.ToMetadata());
        Assert.That(again.Encode("abc"), Is.EqualTo(v.Encode("abc")));
        var emoji = CharVocabulary.FromText("x\U0001F600");
        Assert.That(emoji.Count, Is.EqualTo(3), "a character outside the BMP is one id");
        Assert.That(emoji.Decode(emoji.Encode("\U0001F600x")), Is.EqualTo("\U0001F600x"));
        Assert.Throws<FormatException>(() => CharVocabulary.FromMetadata("98,97"));
    }
}
