namespace FastWeights.Model.Training;

/// <summary>
/// A checkpoint cannot be loaded: a file is missing, malformed or corrupt (checksum), its files come from different
/// saves or steps, its tensors do not match the model or optimizer (a tensor missing or extra, a dtype other than F32, a
/// different shape), a value is not finite, or its metadata is unusable. Also thrown by a save that refuses non-finite
/// values (nothing is written then).
/// The message names the file and every offending tensor with what was expected and what was found. When this is
/// thrown, nothing has been copied to the device.
/// </summary>
public sealed class CheckpointException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the file and tensor.</param>
    /// <param name="tensorName">The first tensor (or metadata key) at fault, or null when the problem is the file itself.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public CheckpointException(string message, string? tensorName = null, Exception? innerException = null)
        : base(message, innerException)
    {
        TensorName = tensorName;
    }

    /// <summary>The first tensor (or metadata key) at fault, or null when the problem is the file itself.</summary>
    public string? TensorName { get; }
}
