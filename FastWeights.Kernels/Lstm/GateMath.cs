using ILGPU.Algorithms;

namespace FastWeights.Kernels.Lstm;

/// <summary>
/// Device functions for the LSTM gates. Gate k of the 4H rows (order i, f, g, o) uses the logistic sigmoid,
/// except the candidate g (k = 2), which uses tanh. Derivatives are written in terms of the output, so the
/// backward needs only the recomputed outputs: σ' = s(1 − s), tanh' = 1 − y².
/// </summary>
internal static class GateMath
{
    /// <summary>Index of the candidate gate g in the i, f, g, o order.</summary>
    public const int Candidate = 2;

    public static float Sigmoid(float x) => 1f / (1f + XMath.Exp(-x));

    public static float Apply(int gate, float x) => gate == Candidate ? XMath.Tanh(x) : Sigmoid(x);

    public static float DerivativeFromOutput(int gate, float y) => gate == Candidate ? 1f - y * y : y * (1f - y);
}
