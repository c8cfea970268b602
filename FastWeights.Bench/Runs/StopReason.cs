namespace FastWeights.Bench.Runs;

/// <summary>Why a training run (`retrieval train`, `lm train`) stopped.</summary>
internal enum StopReason
{
    /// <summary>A validation reached the run's target (retrieval's --target-accuracy).</summary>
    TargetReached,
    /// <summary>The step limit (--steps) was reached.</summary>
    StepLimit,
    /// <summary>The optional wall-clock budget (--time-budget) ran out.</summary>
    TimeBudget,
    /// <summary>Ctrl-C (the cancellation token).</summary>
    Interrupted,
}

/// <summary>How a training run says why it stopped.</summary>
internal static class StopReasons
{
    /// <summary>
    /// The line a run prints when it stopped for <paramref name="stop"/> at <paramref name="step"/>, under its
    /// <paramref name="timeBudget"/> and <paramref name="targetAccuracy"/> (null where the run has none).
    /// </summary>
    public static string Describe(this StopReason stop, long step, TimeSpan? timeBudget, double? targetAccuracy) => stop switch
    {
        StopReason.Interrupted => $"interrupted at step {step}; checkpoint saved.",
        StopReason.TargetReached => $"stopped at step {step}: validation accuracy reached the target {targetAccuracy!.Value * 100:G4}%.",
        StopReason.TimeBudget => $"stopped at step {step}: the time budget of {timeBudget!.Value.TotalSeconds:F0} s ran out.",
        _ => $"stopped at step {step}: the step limit" + (targetAccuracy is { } t ? $" (the target {t * 100:G4}% was not reached)." : "."),
    };
}
