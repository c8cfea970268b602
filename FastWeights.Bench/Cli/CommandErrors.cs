namespace FastWeights.Bench.Cli;

/// <summary>Turns expected exceptions into one-line error messages and exit codes.</summary>
internal static class CommandErrors
{
    /// <summary>Exit code of a command that was rejected because of its input.</summary>
    public const int InputError = 1;

    /// <summary>
    /// Runs <paramref name="body"/>; an expected failure (bad input, unreadable or malformed file, missing
    /// device) is written to <paramref name="stderr"/> as one line prefixed with <paramref name="command"/>,
    /// and <see cref="InputError"/> is returned. Anything else propagates: it is a bug, not bad input.
    /// </summary>
    public static int Guard(string command, TextWriter stderr, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (IsExpected(e))
        {
            stderr.WriteLine($"{command}: error: {OneLine(WithoutParameterName(e))}");
            return InputError;
        }
    }

    /// <summary>An exception's message without the " (Parameter 'name')" that .NET appends to argument exceptions.</summary>
    public static string WithoutParameterName(Exception e)
    {
        string message = e.Message;
        if (e is ArgumentException { ParamName: { } name })
        {
            string suffix = $" (Parameter '{name}')";
            int at = message.IndexOf(suffix, StringComparison.Ordinal);
            if (at >= 0) message = message.Remove(at, suffix.Length);
        }
        return message;
    }

    private static bool IsExpected(Exception e) => e is CommandInputException
        or FastWeights.Model.Training.CheckpointException
        or FastWeights.Kernels.Interop.SafeTensorsFormatException
        or IOException // FileNotFoundException, DirectoryNotFoundException included
        or UnauthorizedAccessException
        or ArgumentException; // the kernel layer's validation of sizes, options and values (NaN/Inf)

    /// <summary>Collapses a message onto one line (ArgumentOutOfRangeException appends "Actual value was …" on a new line).</summary>
    public static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
