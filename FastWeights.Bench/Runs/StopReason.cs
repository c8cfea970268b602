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
