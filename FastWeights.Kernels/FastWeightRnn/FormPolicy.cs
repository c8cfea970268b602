namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// The rule behind <see cref="FastWeightForm.Auto"/>: which form a workspace for sequences of up to T steps uses.
/// </summary>
/// <remarks>
/// <para>Work per time step and sequence (multiply–adds, forward + backward, docs/design.md §10): the matrix form
/// does a fixed c_M·H² (the A products, the rank-one update and, backwards, the rebuild and Ā); the attention
/// form does c_A·t·H at step t (a dot product with and an accumulation of every earlier h_τ), so c_A·T·H/2 per step
/// on average. The attention form wins while T ≤ ρ·H with ρ ≈ 2·c_M/c_A.</para>
/// <para>ρ was measured, not derived: on the ILGPU CPU accelerator (thread schedule) the crossover of the training
/// step (forward + backward) lies at T ≈ <see cref="CpuCrossoverRatio"/>·H for S = 1
/// (docs/benchmarks.md, "Matrix vs attention form", command <c>crossover</c>), and only the thread schedule has an attention
/// variant. The inner steps scale both forms'
/// products alike, so S does not move the crossover much; the rule ignores it.
/// The host schedule (<see cref="SweepSchedule.Host"/>, the CPU default) moved the crossover: its matrix products run
/// as whole-matrix SIMD calls while the attention form still makes two short calls per earlier step, so the matrix
/// form won at every T for H ≤ 32 and the two were within ±10 % at H = 64, and the attention form won only at H = 128
/// for T ≤ 64 (ρ ≈ 0.7; B = 32, 2-core Xeon, docs/benchmarks.md). Rule there: attention for H ≥
/// <see cref="HostAttentionMinimumHidden"/> and T ≤ <see cref="HostCrossoverRatio"/>·H, else matrix.
/// On CUDA the attention form has no group schedule (one thread per sequence) and nothing has been measured there,
/// so <see cref="FastWeightForm.Auto"/> always resolves to <see cref="FastWeightForm.Matrix"/> on a GPU.</para>
/// <para>An A0 passed to the forward adds O(H²) per product to the attention form (λ^t·A0·v), which removes its
/// advantage; the rule cannot know at workspace creation whether A0s will be passed. Callers that carry A across
/// chunks should ask for <see cref="FastWeightForm.Matrix"/>.</para>
/// </remarks>
public static class FormPolicy
{
    /// <summary>ρ on the ILGPU CPU accelerator: the attention form is used for T ≤ ρ·H.</summary>
    public const double CpuCrossoverRatio = 2.0;

    /// <summary>ρ for the host schedule: the attention form is used for T ≤ ρ·H (and H ≥ <see cref="HostAttentionMinimumHidden"/>).</summary>
    public const double HostCrossoverRatio = 0.5;

    /// <summary>Below this H the host schedule always uses the matrix form (it was never slower there by more than 10 %).</summary>
    public const int HostAttentionMinimumHidden = 128;

    /// <summary>The form a workspace for sequences of up to <paramref name="maxTime"/> steps uses.</summary>
    /// <param name="requested">The option; anything but <see cref="FastWeightForm.Auto"/> is returned as is.</param>
    /// <param name="acceleratorType">The accelerator's type.</param>
    /// <param name="schedule">The layer's resolved schedule: an explicit <see cref="SweepSchedule.Group"/> keeps the matrix form
    /// (the attention form has no group variant).</param>
    /// <param name="hidden">H ≥ 1.</param>
    /// <param name="maxTime">The longest sequence T ≥ 1 the workspace serves.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1, or <paramref name="requested"/> is not a defined form.</exception>
    public static FastWeightForm Resolve(FastWeightForm requested, AcceleratorType acceleratorType, SweepSchedule schedule, int hidden, int maxTime)
    {
        if (!Enum.IsDefined(requested)) throw new ArgumentOutOfRangeException(nameof(requested), requested, "Unknown form.");
        if (hidden < 1) throw new ArgumentOutOfRangeException(nameof(hidden), hidden, "hidden (H) must be ≥ 1.");
        if (maxTime < 1) throw new ArgumentOutOfRangeException(nameof(maxTime), maxTime, "maxTime (T) must be ≥ 1.");
        if (requested != FastWeightForm.Auto) return requested;
        if (acceleratorType != AcceleratorType.CPU || schedule == SweepSchedule.Group) return FastWeightForm.Matrix;
        if (schedule == SweepSchedule.Host)
            return hidden >= HostAttentionMinimumHidden && maxTime <= HostCrossoverRatio * hidden ? FastWeightForm.Attention : FastWeightForm.Matrix;
        return maxTime <= CpuCrossoverRatio * hidden ? FastWeightForm.Attention : FastWeightForm.Matrix;
    }
}
