namespace FastWeights.Model.Training;

/// <summary>
/// A training step produced a non-finite loss or gradient norm. The optimizer did not take that step, so the
/// parameters are those after <see cref="LastGoodStep"/> steps; a run should stop and keep its last good checkpoint.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="step">The step (1-based) that diverged.</param>
    /// <param name="loss">Its batch loss.</param>
    /// <param name="gradientNorm">Its global gradient norm.</param>
    public TrainingDivergedException(long step, double loss, double gradientNorm)
        : base($"training diverged at step {step}: loss {loss}, gradient norm {gradientNorm}.")
    {
        Step = step;
        Loss = loss;
        GradientNorm = gradientNorm;
    }

    /// <summary>The step (1-based) that diverged.</summary>
    public long Step { get; }
    /// <summary>Steps completed before it.</summary>
    public long LastGoodStep => Step - 1;
    /// <summary>The diverged step's batch loss.</summary>
    public double Loss { get; }
    /// <summary>The diverged step's global gradient norm.</summary>
    public double GradientNorm { get; }
}
