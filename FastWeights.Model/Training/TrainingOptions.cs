using System.Globalization;

namespace FastWeights.Model.Training;

/// <summary>Optimisation settings of a training run.</summary>
public sealed record TrainingOptions
{
    /// <summary>Sequences per step.</summary>
    public int BatchSize { get; init; } = 128;
    /// <summary>Adam's base learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Linear warm-up steps.</summary>
    public long WarmupSteps { get; init; }
    /// <summary>Learning-rate annealing after the warm-up.</summary>
    public LearningRateAnnealing Annealing { get; init; } = LearningRateAnnealing.Constant;
    /// <summary>Learning rate at <see cref="AnnealingSteps"/> as a fraction of the base (Linear/Cosine).</summary>
    public double FinalFraction { get; init; } = 0.1;
    /// <summary>Step at which the annealing reaches <see cref="FinalFraction"/>.</summary>
    public long AnnealingSteps { get; init; } = 20_000;
    /// <summary>Global gradient-norm clipping threshold; ≤ 0 disables it.</summary>
    public double ClipNorm { get; init; } = 5.0;
    /// <summary>Decoupled weight decay of Adam.</summary>
    public double WeightDecay { get; init; }
    /// <summary>Seed of the initial weights and of the data order.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Checks every field; throws naming the first bad one.</summary>
    public void Validate()
    {
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be ≥ 1.");
        if (!(LearningRate > 0 && double.IsFinite(LearningRate))) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be finite and > 0.");
        if (WarmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(WarmupSteps), WarmupSteps, "WarmupSteps must be ≥ 0.");
        if (double.IsNaN(ClipNorm)) throw new ArgumentOutOfRangeException(nameof(ClipNorm), ClipNorm, "ClipNorm must not be NaN.");
        if (!(WeightDecay >= 0 && double.IsFinite(WeightDecay))) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "WeightDecay must be finite and ≥ 0.");
        Schedule.Validate();
    }

    /// <summary>
    /// Adds the train.* checkpoint metadata of a run at <paramref name="step"/>: seed, step, batch size, learning rate,
    /// warm-up, annealing (key train.lr_decay), final fraction, annealing steps (key train.decay_steps), clipping and
    /// weight decay, in that order (the keys are the checkpoint format's and do not change).
    /// </summary>
    public void AddMetadata(IDictionary<string, string> metadata, long step)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        metadata["train.seed"] = Seed.ToString(CultureInfo.InvariantCulture);
        metadata["train.step"] = step.ToString(CultureInfo.InvariantCulture);
        metadata["train.batch_size"] = BatchSize.ToString(CultureInfo.InvariantCulture);
        metadata["train.lr"] = LearningRate.ToString("R", CultureInfo.InvariantCulture);
        metadata["train.warmup"] = WarmupSteps.ToString(CultureInfo.InvariantCulture);
        metadata["train.lr_decay"] = Annealing.ToString().ToLowerInvariant();
        metadata["train.final_lr_fraction"] = FinalFraction.ToString("R", CultureInfo.InvariantCulture);
        metadata["train.decay_steps"] = AnnealingSteps.ToString(CultureInfo.InvariantCulture);
        metadata["train.clip"] = ClipNorm.ToString("R", CultureInfo.InvariantCulture);
        metadata["train.weight_decay"] = WeightDecay.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>The learning-rate schedule these options describe.</summary>
    public LearningRateSchedule Schedule => new()
    {
        Base = LearningRate, WarmupSteps = WarmupSteps, Annealing = Annealing, FinalFraction = FinalFraction,
        TotalSteps = Math.Max(AnnealingSteps, WarmupSteps),
    };
}
