using System.Security.Cryptography;
using System.Text;
using FastWeights.Bench.Cli;

namespace FastWeights.Bench.Lm;

/// <summary>The text an `lm` run trains on: the default corpus next to the binary, or a UTF-8 file given with --text.</summary>
internal sealed record LmText(string Name, string Path, string Content, string Sha256)
{
    /// <summary>The default corpus's file name (data/sotu/README.md), copied next to the binary at build time.</summary>
    public const string DefaultFile = "sotu-1790-1838.txt";

    /// <summary>What the metadata calls the default corpus, so a checkpoint does not depend on where the binary lives.</summary>
    public const string DefaultName = "default:" + DefaultFile;

    /// <summary>The path of the default corpus beside the running binary.</summary>
    public static string DefaultPath => System.IO.Path.Combine(AppContext.BaseDirectory, "data", DefaultFile);

    /// <summary>
    /// Reads <paramref name="file"/> (null or <see cref="DefaultName"/>: the default corpus) as strict UTF-8, refusing what
    /// is not a regular file, too large for memory, or not UTF-8, with one message naming --text.
    /// </summary>
    public static LmText Load(string? file)
    {
        bool isDefault = file is null || file == DefaultName;
        string path = isDefault ? DefaultPath : file!;
        string option = isDefault ? "the default corpus" : "--text";
        if (isDefault && !File.Exists(path))
            throw new CommandInputException($"the default corpus {path} is missing (it is copied there by the build from data/sotu/); give --text FILE.");
        var info = ResourceCheck.RequireRegularFile(path, option);
        // The text becomes a string (2 bytes a character), a rune array and three int arrays: about 24 bytes a byte of UTF-8.
        ResourceCheck.RequireHostFits(info.Length * 24, $"{option} {path} ({info.Length} bytes)");
        byte[] bytes = File.ReadAllBytes(path);
        string content;
        try { content = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException e) { throw new CommandInputException($"{option} {path} is not UTF-8 text (invalid bytes at offset {e.Index})."); }
        if (content.Length > 0 && content[0] == '\uFEFF') content = content[1..];
        return new LmText(isDefault ? DefaultName : System.IO.Path.GetFullPath(path), path, content, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }
}
