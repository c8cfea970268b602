using ILGPU.Algorithms;

namespace FastWeights.Kernels.Primitives;

/// <summary>The nonlinearity f of the fast-weight layer, applied to the preliminary vector and after each layer norm.</summary>
public enum Activation
{
    /// <summary>f(x) = tanh(x); f'(x) = 1 − f(x)². On CUDA tanh compiles to an approximate instruction (~1e-6 relative).</summary>
    Tanh = 0,

    /// <summary>f(x) = max(x, 0); f'(x) = 1 for x &gt; 0, else 0 (the derivative at exactly 0 is taken as 0).</summary>
    Relu = 1,
}

/// <summary>
/// Device functions for <see cref="Activation"/>. The derivative is written in terms of the
/// activation's output, so the reverse pass needs only the stored outputs (docs/design.md §3):
/// tanh: f' = 1 − y²; ReLU: f' = [y &gt; 0], which equals [x &gt; 0] because relu(x) &gt; 0 ⇔ x &gt; 0.
/// </summary>
internal static class ActivationMath
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static float Apply(int activation, float x) =>
        activation == (int)Activation.Relu ? XMath.Max(x, 0f) : XMath.Tanh(x);

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static float DerivativeFromOutput(int activation, float y) =>
        activation == (int)Activation.Relu ? (y > 0f ? 1f : 0f) : 1f - y * y;
}
