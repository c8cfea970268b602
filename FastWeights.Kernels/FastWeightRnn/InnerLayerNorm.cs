using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// The output of an inner step's layer norm, h_{s+1} = f(g ⊙ x̂ + β) with x̂ = (v − μ)/σ, written once for the two sweeps
/// that run it (the fused <see cref="ForwardSweep"/> and the attention form's <see cref="AttentionFormSweep"/>), over the
/// elements a thread owns (i = first, first + stride, …). Each sweep finds μ and 1/σ itself (the fused one sums across
/// its schedule's threads).
/// </summary>
internal static class InnerLayerNorm
{
    /// <summary>
    /// x̂_i into <paramref name="v"/> in place (the tape), h_{s+1,i} into <paramref name="hNext"/> and, when
    /// <paramref name="storeInner"/> (not the last inner step), into <paramref name="innerStates"/> at <paramref name="innerOffset"/>.
    /// Without layer norm (<paramref name="layerNorm"/> = 0) μ = 0 and 1/σ = 1 are passed, and h = f(x̂).
    /// </summary>
    public static void Apply(int first, int stride, int H, ArrayView<float> v, ArrayView<float> hNext, float mean, float inverseStd,
        int activation, int layerNorm, ArrayView<float> gain, ArrayView<float> bias, bool storeInner, ArrayView<float> innerStates,
        long innerOffset)
    {
        for (int i = first; i < H; i += stride)
        {
            float xhat = (v[i] - mean) * inverseStd;
            v[i] = xhat;
            float hi = ActivationMath.Apply(activation, layerNorm != 0 ? gain[i] * xhat + bias[i] : xhat);
            hNext[i] = hi;
            if (storeInner)
                innerStates[innerOffset + i] = hi;
        }
    }
}
