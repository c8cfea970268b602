namespace FastWeights.Kernels.LinearFastWeights;

/// <summary>How each step writes into the fast-weight memory W (docs/linear-fast-weights.md §1).</summary>
public enum UpdateRule
{
    /// <summary>W ← W + v φ(k)ᵀ: the linear transformer's purely additive update.</summary>
    Sum = 0,

    /// <summary>
    /// W ← W + σ(β)(v − W φ(k)) φ(k)ᵀ: the delta rule, which first retrieves the value v̄ = W φ(k)
    /// currently stored under the key and replaces it by a σ(β)-weighted mix with the new value.
    /// </summary>
    Delta = 1,
}
