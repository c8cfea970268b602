using System.Security.Cryptography;
using System.Text.RegularExpressions;
using FastWeights.Bench.Lm;
using FastWeights.Bench.Reporting;

namespace FastWeights.Tests.Bench.Commands;

/// <summary>`lm train`, `eval`, `sample`, resume and the one-line errors, end to end on a tiny text and model (CPU accelerator).</summary>
public sealed class LmCommandTests() : CliFixture("fw-lm-")
{
    private string text = "";

    [OneTimeSetUp]
    public void WriteText()
    {
        text = Path.Combine(root, "text.txt");
        // 6000 characters of a repetitive text with a few non-ASCII ones, the last part holding one unseen character (Ω).
        var rng = new Random(3);
        string[] words = ["the ", "union ", "of ", "states ", "congress ", "peace ", "é", "\n"];
        var body = string.Concat(Enumerable.Range(0, 1400).Select(_ => words[rng.Next(words.Length)]));
        File.WriteAllText(text, body[..5990] + "Ω the end.");
    }

    private string[] Tiny => ["--text", text, "--hidden", "8", "--embedding", "4", "--window", "16", "--batch", "4", "--steps", "12", "--eval-every", "6",
        "--accelerator", "cpu"];

    [Test]
    public void TrainPrintsBitsPerCharacterThenEvalAgreesAndSamplePrintsText()
    {
        string run = Path.Combine(root, "fw");
        var (code, output, error) = Invoke(["lm", "train", "--out", run, .. Tiny]);
        Assert.That(code, Is.EqualTo(0), error);
        var final = Regex.Match(output, @"validation (\d+\.\d+) bits/char  test (\d+\.\d+) bits/char");
        Assert.That(final.Success, output);
        Assert.That(output, Does.Contain("chars/s").And.Contain("memory ").And.Contain("plot: "));
        var rows = MetricsLog.Load(Path.Combine(run, MetricsLog.FileName));
        Assert.That(rows.Where(r => r.ValidationLoss is not null).Select(r => r.Step), Is.EqualTo(new long[] { 6, 12 }));
        Assert.That(File.ReadAllBytes(Path.Combine(run, "training.png")).Take(4), Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47 }));

        var eval = Invoke("lm", "eval", "--checkpoint", run, "--split", "validation", "--accelerator", "cpu");
        Assert.That(eval.Code, Is.EqualTo(0), eval.Err);
        Assert.That(eval.Out, Does.StartWith($"validation {final.Groups[1].Value} bits/char"), "the same number as the run's last validation");
        var test = Invoke("lm", "eval", "--checkpoint", run, "--accelerator", "cpu");
        Assert.That(test.Out, Does.StartWith($"test {final.Groups[2].Value} bits/char"));

        var sample = Invoke("lm", "sample", "--checkpoint", run, "--prompt", "the union", "--length", "40", "--temperature", "0.5", "--accelerator", "cpu");
        Assert.That(sample.Code, Is.EqualTo(0), sample.Err);
        string printed = sample.Out.TrimEnd('\n');
        Assert.That(printed, Does.StartWith("the union"));
        Assert.That(printed.EnumerateRunes().Count(), Is.EqualTo("the union".Length + 40));
        var again = Invoke("lm", "sample", "--checkpoint", run, "--prompt", "the union", "--length", "40", "--temperature", "0.5", "--accelerator", "cpu");
        Assert.That(again.Out, Is.EqualTo(sample.Out), "the same seed gives the same text");
    }

    [Test]
    public void ResumeContinuesTheRunAndItsMetrics()
    {
        string run = Path.Combine(root, "resume");
        Assert.That(Invoke(["lm", "train", "--out", run, .. Tiny]).Code, Is.EqualTo(0));
        var (code, output, error) = Invoke("lm", "train", "--resume", run, "--steps", "18", "--accelerator", "cpu");
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("resumed at step 12").And.Contain("after 18 steps"));
        Assert.That(MetricsLog.Load(Path.Combine(run, MetricsLog.FileName)).Select(r => r.Step).Max(), Is.EqualTo(18));
        var conflict = Invoke("lm", "train", "--resume", run, "--hidden", "9", "--accelerator", "cpu");
        Assert.That(conflict.Code, Is.EqualTo(1));
        Assert.That(conflict.Err, Does.Contain("--hidden 9 contradicts the checkpoint's 8"));
    }

    [Test]
    public void BadInputGetsOneLineNamingTheOptionBeforeAnythingIsWritten()
    {
        string binary = Path.Combine(root, "binary.txt");
        File.WriteAllBytes(binary, [0x41, 0xFF, 0xFE, 0x42]);
        string shortText = Path.Combine(root, "short.txt");
        File.WriteAllText(shortText, string.Concat(Enumerable.Repeat("abcdefghij", 20)));
        string tiny = Path.Combine(root, "tiny.txt");
        File.WriteAllText(tiny, "abcdefghij");
        string fresh = Path.Combine(root, "never");
        (string[] Args, string Expected)[] cases =
        [
            (["lm", "train", "--text", Path.Combine(root, "missing.txt"), "--out", fresh], "--text"),
            (["lm", "train", "--text", binary, "--out", fresh], "is not UTF-8 text"),
            (["lm", "train", "--text", shortText, "--out", fresh, "--accelerator", "cpu"], "--batch"),
            (["lm", "train", "--text", tiny, "--out", fresh, "--accelerator", "cpu"], "too few to split"),
            (["lm", "train", "--model", "gru-lm", "--out", fresh], "--model"),
            (["lm", "train", "--window", "0", "--text", text, "--out", fresh], "--window"),
            (["lm", "train", "--model", "dpfp-sum", "--heads", "3", "--hidden", "8", "--text", text, "--out", fresh, "--accelerator", "cpu"], "Heads"),
            (["lm", "sample", "--checkpoint", Path.Combine(root, "nothing"), "--temperature", "-1"], "--temperature"),
            (["lm", "sample", "--checkpoint", Path.Combine(root, "nothing")], "--checkpoint"),
        ];
        foreach (var (args, expected) in cases)
        {
            var (code, output, error) = Invoke(args);
            Assert.That(code, Is.EqualTo(1), string.Join(' ', args));
            Assert.That(error, Does.StartWith("lm: error: ").And.Contain(expected), string.Join(' ', args));
            Assert.That(error.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), "one line");
        }
        Assert.That(Directory.Exists(fresh), Is.False, "no run folder was created");
    }

    [Test]
    public void TheDefaultCorpusShipsNextToTheBinaryAsItsReadmeDescribes()
    {
        Assert.That(File.Exists(LmText.DefaultPath), LmText.DefaultPath);
        var corpus = LmText.Load(null);
        Assert.That(corpus.Sha256, Is.EqualTo("30e11646271253c8de28b511ec84e0732cadf65838c92fe997f8eb73f20867ab"), "data/sotu/README.md gives this hash");
        Assert.That(corpus.Content, Does.StartWith("Fellow-Citizens of the Senate and House of Representatives:"));
        Assert.That(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(LmText.DefaultPath))), Is.EqualTo(corpus.Sha256));
    }
}
