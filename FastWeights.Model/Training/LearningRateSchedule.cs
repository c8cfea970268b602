namespace FastWeights.Model.Training;

/// <summary>How <see cref="LearningRateSchedule"/> anneals the rate after the warm-up.</summary>
public enum LearningRateAnnealing
{
    /// <summary>Stays at the base rate.</summary>
    Constant,

    /// <summary>Straight line from the base rate to base·FinalFraction at TotalSteps.</summary>
    Linear,

    /// <summary>Half a cosine from the base rate to base·FinalFraction at TotalSteps.</summary>
    Cosine,
}

/// <summary>
/// A learning rate per step: a linear warm-up from 0 over <see cref="WarmupSteps"/> steps, then an annealing of kind
/// <see cref="Annealing"/> from <see cref="Base"/> to <see cref="Base"/>·<see cref="FinalFraction"/> at
/// <see cref="TotalSteps"/>, and that final rate after it.
/// </summary>
/// <remarks>
/// With w = WarmupSteps, T = TotalSteps, f = FinalFraction and p = (step − w)/(T − w) clamped to [0, 1]
/// (p = 1 when T = w): step &lt; w gives Base·step/w; otherwise Constant gives Base, Linear Base·(1 − (1 − f)·p),
/// Cosine Base·(f + (1 − f)·(1 + cos πp)/2).
/// </remarks>
public sealed record LearningRateSchedule
{
    /// <summary>The peak rate, reached at the end of the warm-up; finite and ≥ 0.</summary>
    public required double Base { get; init; }

    /// <summary>Steps of linear warm-up from 0 (0 = none); ≥ 0 and ≤ <see cref="TotalSteps"/>.</summary>
    public long WarmupSteps { get; init; }

    /// <summary>The annealing after the warm-up. Default <see cref="LearningRateAnnealing.Constant"/>.</summary>
    public LearningRateAnnealing Annealing { get; init; } = LearningRateAnnealing.Constant;

    /// <summary>The final rate as a fraction of <see cref="Base"/>, in [0, 1]; ignored by <see cref="LearningRateAnnealing.Constant"/>. Default 0.</summary>
    public double FinalFraction { get; init; }

    /// <summary>The step at which the annealing reaches its final rate; ≥ <see cref="WarmupSteps"/>. Default 0.</summary>
    public long TotalSteps { get; init; }

    /// <summary>Checks every property; throws an exception naming the first invalid one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A property is out of range; <see cref="ArgumentException.ParamName"/> is the property.</exception>
    public void Validate()
    {
        if (!(double.IsFinite(Base) && Base >= 0))
            throw new ArgumentOutOfRangeException(nameof(Base), Base, "Base must be finite and ≥ 0.");
        if (WarmupSteps < 0)
            throw new ArgumentOutOfRangeException(nameof(WarmupSteps), WarmupSteps, "WarmupSteps must be ≥ 0.");
        if (!Enum.IsDefined(Annealing))
            throw new ArgumentOutOfRangeException(nameof(Annealing), Annealing, "Unknown annealing kind.");
        if (!(FinalFraction >= 0 && FinalFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(FinalFraction), FinalFraction, "FinalFraction must lie in [0, 1].");
        if (TotalSteps < WarmupSteps)
            throw new ArgumentOutOfRangeException(nameof(TotalSteps), TotalSteps, $"TotalSteps must be ≥ WarmupSteps ({WarmupSteps}).");
    }

    /// <summary>The learning rate for step <paramref name="step"/> (0-based: the rate of the first step is At(0)).</summary>
    /// <param name="step">≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is negative, or a property is invalid (see <see cref="Validate"/>).</exception>
    public double At(long step)
    {
        Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps) return Base * step / WarmupSteps;
        if (Annealing == LearningRateAnnealing.Constant) return Base;
        long span = TotalSteps - WarmupSteps;
        double p = span == 0 ? 1.0 : Math.Min(1.0, (double)(step - WarmupSteps) / span);
        double f = FinalFraction;
        return Annealing == LearningRateAnnealing.Linear
            ? Base * (1.0 - (1.0 - f) * p)
            : Base * (f + (1.0 - f) * 0.5 * (1.0 + Math.Cos(Math.PI * p)));
    }
}
