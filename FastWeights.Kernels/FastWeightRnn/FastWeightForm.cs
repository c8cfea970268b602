namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// How the layer evaluates the products A(t)·v of the recurrence. Both forms compute the same function
/// (docs/design.md §2) and the same gradients; they differ in work and memory (docs/design.md §10).
/// </summary>
public enum FastWeightForm
{
    /// <summary>
    /// Pick per workspace from the accelerator, H, S and the workspace's longest sequence with
    /// <see cref="FormPolicy.Resolve"/>: <see cref="Attention"/> where it was measured faster (short
    /// sequences on the ILGPU CPU accelerator), else <see cref="Matrix"/>.
    /// </summary>
    Auto = 0,

    /// <summary>
    /// A is formed and updated every step (O(H²) per product and per update), stored every K steps and
    /// rebuilt backwards in the reverse pass. Cost independent of the position in the sequence; the
    /// form with group (GPU) and thread schedules.
    /// </summary>
    Matrix = 1,

    /// <summary>
    /// A is never formed during the recurrence: A(t)·v = λ^t·(A0·v) + η Σ_{τ&lt;t} λ^{t−1−τ} h_τ (h_τ·v) over the
    /// stored outer states, O(t·H) per product (plus O(H²) when an A0 is given); A(T) is formed once at the end.
    /// Cheaper than <see cref="Matrix"/> while t is small relative to H. One thread per sequence only
    /// (no group schedule), so <see cref="FastWeightRnnOptions.Schedule"/> does not apply to it.
    /// </summary>
    Attention = 2,
}
