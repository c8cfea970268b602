using FastWeights.Kernels.Primitives;
namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// Sizes and hyper-parameters of a fast-weight layer (Ba et al. 2016). Immutable once a
/// <see cref="FastWeightRnnLayer"/> is built from it.
/// </summary>
public sealed record FastWeightRnnOptions
{
    /// <summary>I, the width of each input vector x_t. Must be ≥ 1.</summary>
    public required int InputSize { get; init; }

    /// <summary>H, the hidden size (A is H×H). Must be ≥ 1.</summary>
    public required int HiddenSize { get; init; }

    /// <summary>S, the number of inner steps h ← f(LN(z + A h)) per time step. Must be ≥ 1. Default 1.</summary>
    public int InnerSteps { get; init; } = 1;

    /// <summary>λ, the decay of the fast-weight memory, in (0, 1]. Default 0.95.</summary>
    public double Decay { get; init; } = 0.95;

    /// <summary>η, the fast learning rate, finite and ≥ 0. Default 0.5.</summary>
    public double FastLearningRate { get; init; } = 0.5;

    /// <summary>The activation f. Default <see cref="Activation.Tanh"/>.</summary>
    public Activation Activation { get; init; } = Activation.Tanh;

    /// <summary>
    /// Whether the inner step normalises: h ← f(LN(z + A h)) (default, as in the paper) or h ← f(z + A h).
    /// Off, with η = 0 and S = 1, the layer is the plain tanh RNN h = f(W h + C x + b) (the CONTROL baseline)
    /// through the same kernels; g and β are then unused and their gradients are zero.
    /// </summary>
    public bool LayerNorm { get; init; } = true;

    /// <summary>ε of the layer norm, finite and &gt; 0. Default 1e-5.</summary>
    public double LayerNormEpsilon { get; init; } = 1e-5;

    /// <summary>The thread schedule; <see cref="SweepSchedule.Auto"/> picks from the accelerator.</summary>
    public SweepSchedule Schedule { get; init; } = SweepSchedule.Auto;

    /// <summary>
    /// How A·v is evaluated: formed and rebuilt (<see cref="FastWeightForm.Matrix"/>), never formed
    /// (<see cref="FastWeightForm.Attention"/>), or chosen per workspace by <see cref="FormPolicy.Resolve"/>
    /// (<see cref="FastWeightForm.Auto"/>, the default). The forms agree to float32 rounding.
    /// </summary>
    public FastWeightForm Form { get; init; } = FastWeightForm.Auto;

    /// <summary>
    /// K, steps between stored copies of A; null (default) derives it from λ with
    /// <see cref="CheckpointPolicy.Interval"/>. A larger K saves memory at the cost of accuracy
    /// (the rebuild error grows like λ^−K); tests use it to show what happens without re-anchoring.
    /// </summary>
    public int? CheckpointInterval { get; init; }

    /// <summary>
    /// A cap, in bytes, on the whole workspace of one training call (<see cref="FastWeightRnnLayer.WorkspaceBytes(int,int)"/>:
    /// the per-step vector tape, the backward's buffers and the copies of A). Null (default): no cap, a copy of A
    /// every K steps. When the K-step copies do not fit, the layer keeps as many copies as fit and recomputes the
    /// others in the backward by recursive checkpointing (<see cref="CheckpointPlan"/>, docs/design.md §9);
    /// gradients are unchanged. Must be ≥ 1; a workspace whose fixed part plus the fewest copies
    /// (<see cref="CheckpointPlan.MinimumSlots"/>) exceeds it is refused when it is sized, naming the minimum.
    /// </summary>
    public long? MemoryBudgetBytes { get; init; }

    /// <summary>
    /// A cap on the number of stored copies of A (each B·H² floats), the memory a checkpoint plan trades
    /// for recomputation. Null (default): no cap. Must be ≥ 2 (A(0) and A(T)); more than one K-step interval
    /// needs ≥ 3, checked when a workspace is sized. Combined with <see cref="MemoryBudgetBytes"/>, the tighter wins.
    /// </summary>
    public int? MaxCheckpointCopies { get; init; }

    /// <summary>Whether <see cref="MemoryBudgetBytes"/> or <see cref="MaxCheckpointCopies"/> is set. A budget applies to the matrix
    /// form only: with one, <see cref="FastWeightForm.Auto"/> resolves to <see cref="FastWeightForm.Matrix"/> and
    /// <see cref="FastWeightForm.Attention"/> is refused by <see cref="Validate"/>.</summary>
    public bool HasCheckpointBudget => MemoryBudgetBytes is not null || MaxCheckpointCopies is not null;

    /// <summary>
    /// When true, a forward first scans x, h0, A0 and the parameters (a backward: dy, dhT, dAT) for NaN/±Inf on the device and throws
    /// <see cref="ArgumentException"/> naming the offending argument. This waits for the stream (one host
    /// synchronisation per call), so it is off by default in this kernel layer.
    /// </summary>
    public bool CheckFinite { get; init; }

    /// <summary>K in effect: <see cref="CheckpointInterval"/> if set, else derived from <see cref="Decay"/>.</summary>
    /// <remarks>A method, not a property, so that printing or comparing options with an invalid λ does not throw.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">No interval is set and λ is not in (0, 1].</exception>
    public int ResolveCheckpointInterval() => CheckpointInterval ?? CheckpointPolicy.Interval(Decay);

    /// <summary>Checks every option; throws an exception naming the first invalid one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size, λ, η, ε, S or K out of range (NaN and ±Inf included).</exception>
    public void Validate()
    {
        OptionChecks.AtLeastOne(InputSize, "I");
        OptionChecks.AtLeastOne(HiddenSize, "H");
        OptionChecks.AtLeastOne(InnerSteps, "S");
        FastWeightDecay.Check(Decay, nameof(Decay));
        if (!(FastLearningRate >= 0.0 && double.IsFinite(FastLearningRate)))
            throw new ArgumentOutOfRangeException(nameof(FastLearningRate), FastLearningRate, "FastLearningRate (η) must be finite and ≥ 0.");
        OptionChecks.PositiveFinite(LayerNormEpsilon, "ε");
        OptionChecks.Known(Activation, "activation");
        OptionChecks.Known(Schedule, "schedule");
        OptionChecks.Known(Form, "form");
        if (MemoryBudgetBytes is < 1)
            throw new ArgumentOutOfRangeException(nameof(MemoryBudgetBytes), MemoryBudgetBytes, "MemoryBudgetBytes must be ≥ 1 (or null for no budget).");
        if (MaxCheckpointCopies is < 2)
            throw new ArgumentOutOfRangeException(nameof(MaxCheckpointCopies), MaxCheckpointCopies, "MaxCheckpointCopies must be ≥ 2: A(0) and A(T) are always stored (or null for no cap).");
        if (Form == FastWeightForm.Attention && HasCheckpointBudget)
            throw new ArgumentOutOfRangeException(nameof(Form), Form,
                "A memory budget (MemoryBudgetBytes, MaxCheckpointCopies) schedules the matrix form's copies of A; Form = Attention stores none. Use Form = Matrix or Auto.");
        if (CheckpointInterval is < 1) throw new ArgumentOutOfRangeException(nameof(CheckpointInterval), CheckpointInterval, "CheckpointInterval (K) must be ≥ 1.");
        OptionChecks.FitsIndex((long)HiddenSize * HiddenSize > int.MaxValue / 4, HiddenSize, nameof(HiddenSize), "H²");
        OptionChecks.FitsIndex((long)HiddenSize * InputSize > int.MaxValue, InputSize, nameof(InputSize), "H·I");
    }
}
