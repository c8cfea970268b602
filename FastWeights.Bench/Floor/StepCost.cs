namespace FastWeights.Bench.Floor;

/// <summary>
/// What one training call of the matrix-form layer must do, counted from the kernels (docs/benchmarks.md,
/// "Latency floor"): multiply–adds on the sequential path of each sequence (the recurrence, which cannot be split
/// across time), multiply–adds that are parallel over the batch and time (input projection, parameter gradients),
/// barrier-separated phases per step (the dependency chain of the group schedule) and the bytes of the tape.
/// </summary>
/// <param name="Batch">B.</param>
/// <param name="Time">T.</param>
/// <param name="Input">I.</param>
/// <param name="Hidden">H.</param>
/// <param name="InnerSteps">S.</param>
internal readonly record struct StepCost(int Batch, int Time, int Input, int Hidden, int InnerSteps)
{
    private long H2 => (long)Hidden * Hidden;
    private long Rows => (long)Batch * Time;

    /// <summary>Per sequence and step, forward: W·h, S products A·h, the rank-one update of A: H²·(S + 2).</summary>
    public long ForwardSequentialMacsPerStep => H2 * (InnerSteps + 2);

    /// <summary>
    /// Per sequence and step, backward: (Ā + Āᵀ)·h (2H²), the decay of Ā and the rebuild of A (2H²), per inner step
    /// Ā += dv·h_sᵀ and Aᵀ·dv (2H²), Wᵀ·dz (H²): H²·(2S + 5).
    /// </summary>
    public long BackwardSequentialMacsPerStep => H2 * (2L * InnerSteps + 5);

    /// <summary>Forward, parallel over all B·T rows: the input projection C·x_t: B·T·H·I.</summary>
    public long ForwardParallelMacs => Rows * Hidden * Input;

    /// <summary>Backward, parallel: dW = Σ dz·hᵀ (B·T·H²), dC = Σ dz·xᵀ and dx = Cᵀ·dz (2·B·T·H·I).</summary>
    public long BackwardParallelMacs => Rows * H2 + 2 * Rows * Hidden * Input;

    /// <summary>All forward multiply–adds.</summary>
    public long ForwardMacs => Rows * ForwardSequentialMacsPerStep + ForwardParallelMacs;

    /// <summary>All backward multiply–adds.</summary>
    public long BackwardMacs => Rows * BackwardSequentialMacsPerStep + BackwardParallelMacs;

    /// <summary>Barrier-separated phases per step in the group schedule's forward with layer norm: 1 + 3S (ForwardSweep.cs).</summary>
    public int ForwardPhasesPerStep => 1 + 3 * InnerSteps;

    /// <summary>Barrier-separated phases per step in the group schedule's backward with layer norm: 3 + 3S (ReverseSweep.cs).</summary>
    public int BackwardPhasesPerStep => 3 + 3 * InnerSteps;

    /// <summary>
    /// Float32 tape bytes per sequence and step written by the forward and read back by the backward: the projection
    /// (H), the outer state (H), the inner states and x̂ (2SH), 1/σ (S).
    /// </summary>
    public long TapeBytesPerStep => 4L * (2L * Hidden + 2L * InnerSteps * Hidden + InnerSteps);

    /// <summary>Bytes of W (and in the backward again W) each sequence reads per step when W is not held on chip: 4H² per pass.</summary>
    public long WeightBytesPerStep => 4 * H2;
}
