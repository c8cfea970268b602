namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// Chooses K, the number of steps between stored copies of the fast-weight matrix A.
/// </summary>
/// <remarks>
/// The reverse pass rebuilds A(t−1) = (A(t) − η h hᵀ)/λ. Each rebuild divides the error already in
/// A by λ and adds about one float32 rounding (u = 2⁻²⁴ of |A|), so k rebuilds after an exact anchor
/// leave an error of at most about c·u·|A|·Σ_{j=1..k} λ^{−j} (docs/design.md §5). K is the largest k
/// with Σ_{j=1..k} λ^{−j} ≤ <see cref="AmplificationBudget"/>: the rebuilt A then stays within
/// 256·u ≈ 1.5e-5 relative of what the forward used, for any T, whatever λ ∈ (0,1]. (The top of each
/// segment is itself a stored copy, so at most K−1 rebuilds happen in a row: the rule is one step conservative.)
/// λ = 1: K = 256; λ = 0.99: K = 126; λ = 0.95: K = 51; λ = 0.9: K = 31; λ = 0.5: K = 7; λ below about 0.064: K = 1 (A is stored
/// every step, the store-all memory cost: small decays are what the attention form is for).
/// </remarks>
public static class CheckpointPolicy
{
    /// <summary>The bound on Σ λ^{−j} over one rebuild segment: the factor by which float32 rounding may grow.</summary>
    public const double AmplificationBudget = 256.0;

    /// <summary>
    /// The checkpoint interval K for decay λ: the largest k ≥ 1 with Σ_{j=1..k} λ^{−j} ≤ <see cref="AmplificationBudget"/>
    /// (at least 1).
    /// </summary>
    /// <param name="decay">λ, in (0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="decay"/> is not in (0, 1].</exception>
    public static int Interval(double decay)
    {
        FastWeightDecay.Check(decay, nameof(decay));
        double sum = 0.0, growth = 1.0;
        int k = 0;
        while (true)
        {
            growth /= decay;
            if (sum + growth > AmplificationBudget) break;
            sum += growth;
            k++;
        }
        return Math.Max(k, 1);
    }

    /// <summary>Number of stored copies of A for a sequence of <paramref name="time"/> steps: A(0), A(K), A(2K), … below T, plus A(T).</summary>
    /// <param name="time">T ≥ 1.</param>
    /// <param name="interval">K ≥ 1.</param>
    public static int CheckpointCount(int time, int interval) => (time + interval - 1) / interval + 1;
}
