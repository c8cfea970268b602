namespace FastWeights.Kernels.Lstm;

/// <summary>
/// One step of a layer-normalised LSTM cell of n units (docs/lstm.md §2–3) as device functions, generic over the
/// schedule, for sweeps that run more than one cell per step (the HyperLSTM runs a hyper cell and a main cell).
/// The caller owns units j = First, First + Stride, … &lt; n and the rows kn + j of the gate vectors.
/// </summary>
/// <remarks>
/// Each function makes exactly ten <see cref="ISweepSchedule.Sum"/> calls on slots 0, 1, 0, 1, …, so calls may follow
/// each other (or other even-length runs of sums) without extra barriers (docs/design.md §6.2). Apart from the sums
/// there are no barriers: the caller fences cross-unit reads of what these functions write.
/// </remarks>
internal static class LnLstmCell
{
    /// <summary>
    /// Forward. On entry <paramref name="pre"/> [4n] holds the gate pre-activations a (own rows written by the caller);
    /// on exit it holds â. Writes 1/σ of the four gate norms (<paramref name="inverseStd"/> [4]) and of the cell norm
    /// (<paramref name="cellInverseStd"/> [1]), c into <paramref name="cNext"/>, ĉ into <paramref name="chat"/> and
    /// h = o ⊙ tanh(γ_c ĉ + β_c) into <paramref name="hOut"/> (own units).
    /// </summary>
    public static void Forward<TSchedule>(TSchedule schedule, int n, float eps, ArrayView<float> pre, ArrayView<float> inverseStd,
        ArrayView<float> gain, ArrayView<float> bias, ArrayView<float> cellGain, ArrayView<float> cellBias,
        ArrayView<float> cPrev, ArrayView<float> cNext, ArrayView<float> chat, ArrayView<float> cellInverseStd, ArrayView<float> hOut)
        where TSchedule : struct, ISweepSchedule
    {
        int first = schedule.First, stride = schedule.Stride;
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        for (int j = first; j < n; j += stride)
        {
            s0 += pre[j]; s1 += pre[n + j]; s2 += pre[2 * n + j]; s3 += pre[3 * n + j];
        }
        float m0 = schedule.Sum(s0, 0) / n, m1 = schedule.Sum(s1, 1) / n, m2 = schedule.Sum(s2, 0) / n, m3 = schedule.Sum(s3, 1) / n;
        s0 = 0f; s1 = 0f; s2 = 0f; s3 = 0f;
        for (int j = first; j < n; j += stride)
        {
            float d0 = pre[j] - m0, d1 = pre[n + j] - m1, d2 = pre[2 * n + j] - m2, d3 = pre[3 * n + j] - m3;
            s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3;
        }
        float r0 = InverseStd(schedule.Sum(s0, 0) / n, eps), r1 = InverseStd(schedule.Sum(s1, 1) / n, eps);
        float r2 = InverseStd(schedule.Sum(s2, 0) / n, eps), r3 = InverseStd(schedule.Sum(s3, 1) / n, eps);
        if (first == 0)
        {
            inverseStd[0] = r0; inverseStd[1] = r1; inverseStd[2] = r2; inverseStd[3] = r3;
        }

        float cellSum = 0f;
        for (int j = first; j < n; j += stride)
        {
            float gi = Gate(pre, gain, bias, 0, j, n, m0, r0), gf = Gate(pre, gain, bias, 1, j, n, m1, r1);
            float gg = Gate(pre, gain, bias, 2, j, n, m2, r2);
            Gate(pre, gain, bias, 3, j, n, m3, r3);
            float c = gf * cPrev[j] + gi * gg;
            cNext[j] = c;
            cellSum += c;
        }
        float cellMean = schedule.Sum(cellSum, 0) / n;
        float cellVar = 0f;
        for (int j = first; j < n; j += stride)
        {
            float d = cNext[j] - cellMean;
            cellVar += d * d;
        }
        float cellRecip = InverseStd(schedule.Sum(cellVar, 1) / n, eps);
        if (first == 0)
            cellInverseStd[0] = cellRecip;
        for (int j = first; j < n; j += stride)
        {
            float normalized = (cNext[j] - cellMean) * cellRecip;
            chat[j] = normalized;
            float o = GateMath.Sigmoid(gain[3 * n + j] * pre[3 * n + j] + bias[3 * n + j]);
            hOut[j] = o * ILGPU.Algorithms.XMath.Tanh(cellGain[j] * normalized + cellBias[j]);
        }
    }

    /// <summary>
    /// The start of a cell's forward sweep over n units, for the units j = first, first + stride, … a thread owns: h and c
    /// from the initial state at <paramref name="offset"/> (zeros when absent) into the current h and row 0 of the state
    /// tapes at <paramref name="stateBase"/>. The initial state may alias the final-state outputs: each element is read
    /// here before its owner writes it at the end.
    /// </summary>
    public static void BeginForward(int first, int stride, int n, int hasH0, ArrayView<float> h0, int hasC0, ArrayView<float> c0,
        long offset, ArrayView<float> hCur, ArrayView<float> states, ArrayView<float> cellStates, long stateBase)
    {
        for (int j = first; j < n; j += stride)
        {
            float hj = hasH0 != 0 ? h0[offset + j] : 0f;
            hCur[j] = hj;
            states[stateBase + j] = hj;
            cellStates[stateBase + j] = hasC0 != 0 ? c0[offset + j] : 0f;
        }
    }

    /// <summary>
    /// The start of a cell's reverse sweep over n units, for the units j = first, first + stride, … a thread owns: dh, dc
    /// from the final-state gradients at <paramref name="offset"/> (zeros when absent), and the cell's per-sequence
    /// partial sums of dγ, dβ (gates [4n], cell [n]) zeroed.
    /// </summary>
    public static void BeginBackward(int first, int stride, int n, int hasDhT, ArrayView<float> dhT, int hasDcT, ArrayView<float> dcT,
        long offset, ArrayView<float> dh, ArrayView<float> dc, ArrayView<float> dGain, ArrayView<float> dBias,
        ArrayView<float> dCellGain, ArrayView<float> dCellBias)
    {
        for (int j = first; j < n; j += stride)
        {
            dh[j] = hasDhT != 0 ? dhT[offset + j] : 0f;
            dc[j] = hasDcT != 0 ? dcT[offset + j] : 0f;
            dCellGain[j] = 0f;
            dCellBias[j] = 0f;
            for (int k = 0; k < 4; k++)
            {
                dGain[k * n + j] = 0f;
                dBias[k * n + j] = 0f;
            }
        }
    }

    /// <summary>
    /// Backward. <paramref name="dh"/> holds dL/dh of this step (own units, read only); <paramref name="dc"/> holds the
    /// dL/dc carried from later steps and is replaced by dL/dc_prev. Writes da = dL/da [4n] (own rows) and accumulates
    /// the per-sequence layer-norm partials dγ, dβ [4n] and dγ_c, dβ_c [n] (own entries).
    /// </summary>
    public static void Backward<TSchedule>(TSchedule schedule, int n, ArrayView<float> dh, ArrayView<float> dc,
        ArrayView<float> ahat, ArrayView<float> inverseStd, ArrayView<float> gain, ArrayView<float> bias,
        ArrayView<float> cellGain, ArrayView<float> cellBias, ArrayView<float> cPrev, ArrayView<float> chat, float cellInverseStd,
        ArrayView<float> da, ArrayView<float> dGain, ArrayView<float> dBias, ArrayView<float> dCellGain, ArrayView<float> dCellBias)
        where TSchedule : struct, ISweepSchedule
    {
        int first = schedule.First, stride = schedule.Stride;
        // h = o ⊙ τ, τ = tanh(γ_c ĉ + β_c): dm = dh ⊙ o ⊙ (1 − τ²), then the cell layer norm.
        float p1 = 0f, p2 = 0f;
        for (int j = first; j < n; j += stride)
        {
            float dm = CellOutputGradient(ahat, gain, bias, cellGain, cellBias, chat, j, n, dh[j]);
            dCellGain[j] += dm * chat[j];
            dCellBias[j] += dm;
            float dchat = dm * cellGain[j];
            p1 += dchat;
            p2 += dchat * chat[j];
        }
        float cellMean1 = schedule.Sum(p1, 0) / n, cellMean2 = schedule.Sum(p2, 1) / n;

        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f, x0 = 0f, x1 = 0f, x2 = 0f, x3 = 0f;
        for (int j = first; j < n; j += stride)
        {
            float dhj = dh[j];
            float dchat = CellOutputGradient(ahat, gain, bias, cellGain, cellBias, chat, j, n, dhj) * cellGain[j];
            float dcj = dc[j] + cellInverseStd * (dchat - cellMean1 - chat[j] * cellMean2);
            float gi = Output(ahat, gain, bias, 0, j, n), gf = Output(ahat, gain, bias, 1, j, n);
            float gg = Output(ahat, gain, bias, 2, j, n), go = Output(ahat, gain, bias, 3, j, n);
            float tau = ILGPU.Algorithms.XMath.Tanh(cellGain[j] * chat[j] + cellBias[j]);
            float dn0 = dcj * gg * GateMath.DerivativeFromOutput(0, gi);
            float dn1 = dcj * cPrev[j] * GateMath.DerivativeFromOutput(1, gf);
            float dn2 = dcj * gi * GateMath.DerivativeFromOutput(2, gg);
            float dn3 = dhj * tau * GateMath.DerivativeFromOutput(3, go);
            dc[j] = dcj * gf;
            float d0 = NormGradient(ahat, gain, da, dGain, dBias, 0, j, n, dn0);
            float d1 = NormGradient(ahat, gain, da, dGain, dBias, 1, j, n, dn1);
            float d2 = NormGradient(ahat, gain, da, dGain, dBias, 2, j, n, dn2);
            float d3 = NormGradient(ahat, gain, da, dGain, dBias, 3, j, n, dn3);
            s0 += d0; s1 += d1; s2 += d2; s3 += d3;
            x0 += d0 * ahat[j]; x1 += d1 * ahat[n + j]; x2 += d2 * ahat[2 * n + j]; x3 += d3 * ahat[3 * n + j];
        }
        float m0 = schedule.Sum(s0, 0) / n, m1 = schedule.Sum(s1, 1) / n, m2 = schedule.Sum(s2, 0) / n, m3 = schedule.Sum(s3, 1) / n;
        float n0 = schedule.Sum(x0, 0) / n, n1 = schedule.Sum(x1, 1) / n, n2 = schedule.Sum(x2, 0) / n, n3 = schedule.Sum(x3, 1) / n;
        for (int j = first; j < n; j += stride)
        {
            NormFinish(ahat, da, 0, j, n, inverseStd[0], m0, n0);
            NormFinish(ahat, da, 1, j, n, inverseStd[1], m1, n1);
            NormFinish(ahat, da, 2, j, n, inverseStd[2], m2, n2);
            NormFinish(ahat, da, 3, j, n, inverseStd[3], m3, n3);
        }
    }

    private static float InverseStd(float variance, float eps) => 1f / ILGPU.Algorithms.XMath.Sqrt(variance + eps);

    /// <summary>Normalises row kn+j in place (a → â) and returns the gate's output.</summary>
    private static float Gate(ArrayView<float> pre, ArrayView<float> gain, ArrayView<float> bias, int k, int j, int n, float mean, float inverseStd)
    {
        int r = k * n + j;
        float normalized = (pre[r] - mean) * inverseStd;
        pre[r] = normalized;
        return GateMath.Apply(k, gain[r] * normalized + bias[r]);
    }

    private static float Output(ArrayView<float> ahat, ArrayView<float> gain, ArrayView<float> bias, int k, int j, int n)
    {
        int r = k * n + j;
        return GateMath.Apply(k, gain[r] * ahat[r] + bias[r]);
    }

    private static float CellOutputGradient(ArrayView<float> ahat, ArrayView<float> gain, ArrayView<float> bias,
        ArrayView<float> cellGain, ArrayView<float> cellBias, ArrayView<float> chat, int j, int n, float dhj)
    {
        float o = Output(ahat, gain, bias, 3, j, n);
        float tau = ILGPU.Algorithms.XMath.Tanh(cellGain[j] * chat[j] + cellBias[j]);
        return dhj * o * (1f - tau * tau);
    }

    /// <summary>Accumulates dγ, dβ of row kn+j, stores dâ = dn γ in da and returns it.</summary>
    private static float NormGradient(ArrayView<float> ahat, ArrayView<float> gain, ArrayView<float> da,
        ArrayView<float> dGain, ArrayView<float> dBias, int k, int j, int n, float dn)
    {
        int r = k * n + j;
        dGain[r] += dn * ahat[r];
        dBias[r] += dn;
        float dahat = dn * gain[r];
        da[r] = dahat;
        return dahat;
    }

    private static void NormFinish(ArrayView<float> ahat, ArrayView<float> da, int k, int j, int n, float inverseStd, float mean1, float mean2)
    {
        int r = k * n + j;
        da[r] = inverseStd * (da[r] - mean1 - ahat[r] * mean2);
    }
}
