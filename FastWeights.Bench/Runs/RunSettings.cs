using FastWeights.Bench.Cli;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Runs;

/// <summary>The checks every training command (`retrieval train`, `lm train`) makes of the settings it shares with the other.</summary>
internal static class RunSettings
{
    /// <summary>The training options, --steps and --eval-every; one message naming the option.</summary>
    public static void Validate(TrainingOptions training, long steps, int evaluateEvery)
    {
        try { training.Validate(); }
        catch (ArgumentOutOfRangeException e) { throw new CommandInputException($"training option {e.ParamName}: {CommandErrors.WithoutParameterName(e)}"); }
        if (steps < 1) throw new CommandInputException($"--steps must be ≥ 1, got {steps}.");
        if (evaluateEvery < 1) throw new CommandInputException($"--eval-every must be ≥ 1, got {evaluateEvery}.");
    }
}
