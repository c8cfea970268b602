using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// An inner step's layer norm and activation, h_{s+1} = f(g ⊙ x̂ + β) with x̂ = (v − μ)/σ, and its backward, written once
/// for the two forms that run them (the fused <see cref="ForwardSweep"/>/<see cref="ReverseSweep"/> and the attention
/// form's <see cref="AttentionFormSweep"/>), over the elements a thread owns (i = first, first + stride, …). Each sweep
/// finds μ and 1/σ, and sums the backward's partials, itself (the fused one across its schedule's threads).
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

    /// <summary>
    /// The backward of one inner step's activation and layer norm over the own elements: dg and dβ partials
    /// (<see cref="GainGradients"/>), the means of dx̂ and dx̂ ⊙ x̂ summed across the schedule's threads in slots
    /// <paramref name="slot"/> and <paramref name="slot"/> ^ 1, then dv into <paramref name="dv"/> and dz
    /// (<see cref="InputGradient"/>). Without layer norm a barrier stands in for the sums': dv is rewritten while other
    /// threads may still read the previous inner step's dv. Returns the slot the next sum uses.
    /// </summary>
    public static int Backward<TSchedule>(TSchedule schedule, int slot, int first, int stride, int H, int layerNorm, int activation,
        ArrayView<float> dh, ArrayView<float> hOut, ArrayView<float> xhat, float inverseStd, ArrayView<float> gain,
        ArrayView<float> dGain, ArrayView<float> dBias, ArrayView<float> dv, ArrayView<float> dz, long dzOffset)
        where TSchedule : struct, ISweepSchedule
    {
        float meanDxhat = 0f, meanDxhatXhat = 0f;
        var sums = GainGradients(first, stride, H, layerNorm, dh, hOut, xhat, activation, gain, dGain, dBias);
        if (layerNorm != 0)
        {
            meanDxhat = schedule.Sum(sums.Dxhat, slot) / H;
            slot ^= 1;
            meanDxhatXhat = schedule.Sum(sums.DxhatXhat, slot) / H;
            slot ^= 1;
        }
        else
            schedule.Barrier();
        InputGradient(first, stride, H, dh, hOut, xhat, activation, layerNorm, gain, inverseStd, meanDxhat, meanDxhatXhat, dv, dz, dzOffset);
        return slot;
    }

    /// <summary>
    /// Backward through f and the gain: dn = dh ⊙ f'(h_out); dg += dn ⊙ x̂, dβ += dn; returns this thread's partial sums
    /// of dx̂ = dn ⊙ g and dx̂ ⊙ x̂, in i order. Without layer norm (<paramref name="layerNorm"/> = 0) nothing is done and
    /// the sums are 0.
    /// </summary>
    public static NormGradientSums GainGradients(int first, int stride, int H, int layerNorm, ArrayView<float> dh, ArrayView<float> hOut,
        ArrayView<float> xhat, int activation, ArrayView<float> gain, ArrayView<float> dGain, ArrayView<float> dBias)
    {
        float sumDxhat = 0f, sumDxhatXhat = 0f;
        for (int i = first; i < H && layerNorm != 0; i += stride)
        {
            float dn = dh[i] * ActivationMath.DerivativeFromOutput(activation, hOut[i]);
            float xi = xhat[i];
            dGain[i] += dn * xi;
            dBias[i] += dn;
            float dxi = dn * gain[i];
            sumDxhat += dxi;
            sumDxhatXhat += dxi * xi;
        }
        return new NormGradientSums { Dxhat = sumDxhat, DxhatXhat = sumDxhatXhat };
    }

    /// <summary>
    /// dv = (1/σ)(dn ⊙ g − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂)), or dn without layer norm (n = v), into <paramref name="dv"/> and
    /// added to dz at <paramref name="dzOffset"/>. dn is recomputed rather than kept: the fused sweep's dv may still be read
    /// by other threads until they pass the barrier inside its sums.
    /// </summary>
    public static void InputGradient(int first, int stride, int H, ArrayView<float> dh, ArrayView<float> hOut, ArrayView<float> xhat,
        int activation, int layerNorm, ArrayView<float> gain, float inverseStd, float meanDxhat, float meanDxhatXhat,
        ArrayView<float> dv, ArrayView<float> dz, long dzOffset)
    {
        for (int i = first; i < H; i += stride)
        {
            float dn = dh[i] * ActivationMath.DerivativeFromOutput(activation, hOut[i]);
            float dvi = layerNorm != 0
                ? inverseStd * (dn * gain[i] - meanDxhat - xhat[i] * meanDxhatXhat)
                : dn;
            dv[i] = dvi;
            dz[dzOffset + i] += dvi;
        }
    }
}

/// <summary>A thread's partial sums of dx̂ and dx̂ ⊙ x̂ (<see cref="InnerLayerNorm.GainGradients"/>).</summary>
internal struct NormGradientSums
{
    public float Dxhat, DxhatXhat;
}
