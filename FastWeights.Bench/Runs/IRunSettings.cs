using FastWeights.Bench.Cli;
using FastWeights.Model.Layers;
using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Runs;

/// <summary>
/// What the settings of a training command (`retrieval train`, `lm train`) hold alike: the architecture, the training
/// options, the stopping rule (steps, wall time), how often to validate, the run folder and the resume.
/// </summary>
internal interface IRunSettings<out TSelf>
{
    /// <summary>The model's architecture, held whole.</summary>
    RetrievalModelConfig Architecture { get; }

    /// <summary>The optimizer, batch and seed.</summary>
    TrainingOptions Training { get; }

    /// <summary>Stop after this many steps (in total, counting resumed ones).</summary>
    long Steps { get; }

    /// <summary>Stop when this much wall time has passed in this process (null: no limit).</summary>
    TimeSpan? TimeBudget { get; }

    /// <summary>Evaluate on the validation split (and save a checkpoint) every this many steps.</summary>
    int EvaluateEvery { get; }

    /// <summary>The run folder; null picks a fresh one under runs/.</summary>
    string? OutputDirectory { get; }

    /// <summary>The settings of one model of a comparison: kind <paramref name="kind"/> into <paramref name="folder"/>, never a resume.</summary>
    TSelf ForComparison(RecurrentKind kind, string folder);
}

/// <summary>The checks every training command makes of its <see cref="IRunSettings{TSelf}"/>.</summary>
internal static class RunSettings
{
    /// <summary>The training options, --steps and --eval-every; one message naming the option.</summary>
    public static void Validate<TSelf>(IRunSettings<TSelf> s)
    {
        try { s.Training.Validate(); }
        catch (ArgumentOutOfRangeException e) { throw new CommandInputException($"training option {e.ParamName}: {CommandErrors.WithoutParameterName(e)}"); }
        if (s.Steps < 1) throw new CommandInputException($"--steps must be ≥ 1, got {s.Steps}.");
        if (s.EvaluateEvery < 1) throw new CommandInputException($"--eval-every must be ≥ 1, got {s.EvaluateEvery}.");
    }
}
