namespace FastWeights.Model.Training;

/// <summary>
/// Hyper-parameters of <see cref="AdamOptimizer"/>. Weight decay is decoupled (AdamW-style): each step does
/// p ← p − lr·(m̂/(√v̂ + ε) + wd·p), so the decay never passes through the moments.
/// </summary>
public sealed record AdamOptions
{
    /// <summary>The default learning rate, finite and ≥ 0 (used by <see cref="AdamOptimizer.Step(ILGPU.Runtime.AcceleratorStream)"/>
    /// and stored in checkpoints; a schedule usually passes its own rate to each step). Default 1e-3.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>β1, the decay of the first moment, in [0, 1). Default 0.9.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>β2, the decay of the second moment, in [0, 1). Default 0.999.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>ε added to √v̂ in the denominator, finite and &gt; 0. Default 1e-8.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Decoupled weight decay wd, finite and ≥ 0: each step also subtracts lr·wd·p. Default 0.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Checks every option; throws an exception naming the first invalid one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; <see cref="ArgumentException.ParamName"/> is the property.</exception>
    public void Validate()
    {
        if (!(double.IsFinite(LearningRate) && LearningRate >= 0))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "LearningRate must be finite and ≥ 0.");
        if (!(Beta1 >= 0 && Beta1 < 1))
            throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "Beta1 must lie in [0, 1).");
        if (!(Beta2 >= 0 && Beta2 < 1))
            throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "Beta2 must lie in [0, 1).");
        if (!(double.IsFinite(Epsilon) && Epsilon > 0))
            throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "Epsilon must be finite and > 0.");
        if (!(double.IsFinite(WeightDecay) && WeightDecay >= 0))
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "WeightDecay must be finite and ≥ 0.");
    }
}
