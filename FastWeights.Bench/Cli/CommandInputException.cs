namespace FastWeights.Bench.Cli;

/// <summary>
/// An expected failure caused by what the user gave (a bad file, a missing tensor, an out-of-range option).
/// Reported as one line on stderr with a non-zero exit code, never with a stack trace.
/// </summary>
internal sealed class CommandInputException(string message) : Exception(message);
