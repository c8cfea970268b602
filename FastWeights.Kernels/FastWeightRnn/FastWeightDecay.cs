namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// The range of λ, the decay of the fast-weight memory: (0, 1]. Every place that takes a λ (the layer's options, the
/// checkpoint policy, the model configs, the commands) checks it here, so the bound is written once.
/// </summary>
public static class FastWeightDecay
{
    /// <summary>Whether <paramref name="decay"/> lies in (0, 1] (NaN does not).</summary>
    /// <param name="decay">λ.</param>
    public static bool IsValid(double decay) => decay > 0.0 && decay <= 1.0;

    /// <summary>Throws unless <paramref name="decay"/> lies in (0, 1].</summary>
    /// <param name="decay">λ.</param>
    /// <param name="paramName">The argument or property that holds λ; the exception names it.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="decay"/> is not in (0, 1] (NaN included).</exception>
    public static void Check(double decay, string paramName)
    {
        if (!IsValid(decay))
            throw new ArgumentOutOfRangeException(paramName, decay, $"{paramName} (λ) must lie in (0, 1].");
    }
}
