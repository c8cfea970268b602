namespace FastWeights.Tests.Samples;

/// <summary>
/// The README's "Using it from a GPU app" code is samples/EmbedLayer/Program.cs quoted whole, between two marker
/// comments; CI builds and runs the sample, so the README's example is code that compiles and runs. These tests keep
/// the quote equal to the file (line endings aside), so the two cannot drift.
/// </summary>
public sealed class ReadmeSampleTests
{
    private const string SamplePath = "samples/EmbedLayer/Program.cs";
    private const string Begin = "<!-- begin " + SamplePath;
    private const string End = "<!-- end " + SamplePath + " -->";

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "kernels.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("kernels.sln not found above the test directory: this test reads README.md and samples/.");
    }

    private static string Normalise(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal);

    /// <summary>The fenced block between the markers, without the fences; throws naming what is missing.</summary>
    internal static string QuotedBlock(string readme)
    {
        readme = Normalise(readme);
        int begin = readme.IndexOf(Begin, StringComparison.Ordinal);
        if (begin < 0) throw new InvalidDataException($"README.md has no '{Begin}…' marker.");
        int fence = readme.IndexOf("\n```csharp\n", begin, StringComparison.Ordinal);
        int end = readme.IndexOf("\n```\n" + End, begin, StringComparison.Ordinal);
        if (fence < 0 || end < 0 || end < fence)
            throw new InvalidDataException($"README.md: after '{Begin}' there must be a ```csharp block closed right before '{End}'.");
        // The block's text: from the line after "```csharp" through the newline ending its last line.
        return readme.Substring(fence + "\n```csharp\n".Length, end + 1 - (fence + "\n```csharp\n".Length));
    }

    [Test]
    public void ReadmeExample_IsTheSampleFile_ByteForByte()
    {
        string root = RepositoryRoot();
        string quoted = QuotedBlock(File.ReadAllText(Path.Combine(root, "README.md")));
        string sample = Normalise(File.ReadAllText(Path.Combine(root, SamplePath)));
        if (!sample.EndsWith('\n')) sample += "\n";
        var quotedLines = quoted.Split('\n');
        var sampleLines = sample.Split('\n');
        int first = Enumerable.Range(0, Math.Min(quotedLines.Length, sampleLines.Length))
            .FirstOrDefault(i => quotedLines[i] != sampleLines[i], -1);
        Assert.That(quoted, Is.EqualTo(sample),
            first < 0
                ? $"README's quote has {quotedLines.Length} lines, {SamplePath} has {sampleLines.Length}"
                : $"first difference at line {first + 1}: README '{quotedLines[first]}' vs {SamplePath} '{sampleLines[first]}'");
    }

    [Test]
    public void QuotedBlock_SeesAChangedLine()
    {
        // The comparison above is only worth having if an edit on one side shows: a one-character change must differ.
        string readme = $"text\n{Begin} -->\n```csharp\nint a = 1;\nint b = 2;\n```\n{End}\n";
        Assert.Multiple(() =>
        {
            Assert.That(QuotedBlock(readme), Is.EqualTo("int a = 1;\nint b = 2;\n"));
            Assert.That(QuotedBlock(readme.Replace("\n", "\r\n", StringComparison.Ordinal)), Is.EqualTo("int a = 1;\nint b = 2;\n"), "line endings aside");
            Assert.That(QuotedBlock(readme.Replace("b = 2", "b = 3", StringComparison.Ordinal)), Is.Not.EqualTo("int a = 1;\nint b = 2;\n"));
            Assert.Throws<InvalidDataException>(() => QuotedBlock("no markers here"));
        });
    }
}
