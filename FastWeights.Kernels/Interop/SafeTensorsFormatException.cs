namespace FastWeights.Kernels.Interop;

/// <summary>
/// Thrown when a safetensors file (or byte array) is malformed, or when a tensor is read as a type it does not
/// have. The message names the source (file path or <c>"&lt;memory&gt;"</c>) and, when one is at fault, the tensor
/// or header field.
/// </summary>
public sealed class SafeTensorsFormatException : Exception
{
    /// <summary>
    /// Creates the exception with a message of the form
    /// <c>Invalid safetensors data in '&lt;source&gt;', tensor '&lt;name&gt;': &lt;detail&gt;</c>
    /// (the tensor part is left out when <paramref name="tensorName"/> is <see langword="null"/>).
    /// </summary>
    /// <param name="sourceName">The file path or other name of the data source.</param>
    /// <param name="tensorName">The tensor (or <c>"__metadata__"</c>) entry at fault, or <see langword="null"/>
    /// when the problem is not tied to one entry.</param>
    /// <param name="detail">What is wrong, naming the offending field.</param>
    /// <param name="innerException">The underlying error, if any (for example a JSON parse error).</param>
    public SafeTensorsFormatException(string sourceName, string? tensorName, string detail, Exception? innerException = null)
        : base(FormatMessage(sourceName, tensorName, detail), innerException)
    {
        SourceName = sourceName;
        TensorName = tensorName;
    }

    /// <summary>The file path or other name of the data source that was being read.</summary>
    public string SourceName { get; }

    /// <summary>The tensor (or <c>"__metadata__"</c>) entry at fault, or <see langword="null"/> if none.</summary>
    public string? TensorName { get; }

    private static string FormatMessage(string sourceName, string? tensorName, string detail) =>
        tensorName is null
            ? $"Invalid safetensors data in '{sourceName}': {detail}"
            : $"Invalid safetensors data in '{sourceName}', tensor '{tensorName}': {detail}";
}
