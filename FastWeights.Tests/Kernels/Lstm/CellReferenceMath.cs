namespace FastWeights.Tests.Kernels.Lstm;

/// <summary>
/// The float64 pieces the LSTM, HyperLSTM and GRU references share: the sigmoid, layer norm forward and backward, the
/// backward of a row of the input and recurrent affine maps, and the objective.
/// </summary>
public static class CellReferenceMath
{
    public static double Sigmoid(double v) => 1.0 / (1.0 + Math.Exp(-v));

    /// <summary>Layer norm of v: (v − mean)/sqrt(var + ε), the variance biased (divided by n); returns v̂ and 1/σ.</summary>
    public static (double[] Normalized, double InverseStd) Norm(double[] v, double eps)
    {
        var (mean, inverseStd) = Stats(v, eps);
        return (v.Select(e => (e - mean) * inverseStd).ToArray(), inverseStd);
    }

    /// <summary>
    /// The backward of row <paramref name="r"/> of W_h h_prev and W_x x_t (x_t at <paramref name="xOffset"/> of x), given
    /// that row's gradients through the recurrent (<paramref name="dRecurrent"/>) and input (<paramref name="dInput"/>)
    /// products: adds to dW_h, dh_prev, dW_x and dx, in that order.
    /// </summary>
    public static void RowAffineBackward(int r, double dRecurrent, double dInput, double[] wh, double[] wx, double[] hPrev, double[] x,
        int xOffset, double[] dwh, double[] dwx, double[] dhPrev, double[] dx)
    {
        int H = hPrev.Length, I = wx.Length / (wh.Length / H); // W_h is rows × H, W_x rows × I
        for (int l = 0; l < H; l++)
        {
            dwh[r * H + l] += dRecurrent * hPrev[l];
            dhPrev[l] += wh[r * H + l] * dRecurrent;
        }
        for (int l = 0; l < I; l++)
        {
            int xi = xOffset + l;
            dwx[r * I + l] += dInput * x[xi];
            dx[xi] += wx[r * I + l] * dInput;
        }
    }

    /// <summary>Row <paramref name="b"/> of a [B, n] state, a copy; zeros where there is no state (null).</summary>
    public static double[] Row(double[]? state, int b, int n) => state is null ? new double[n] : state.Skip(b * n).Take(n).ToArray();

    /// <summary>The output sequence [B, T, n] of per-sequence tapes: each step's <paramref name="output"/>, in order.</summary>
    public static double[] Sequence<TStep>(List<TStep>[] tapes, int time, int n, Func<TStep, double[]> output)
    {
        var y = new double[tapes.Length * time * n];
        for (int b = 0; b < tapes.Length; b++)
            for (int t = 0; t < time; t++)
                Array.Copy(output(tapes[b][t]), 0, y, (b * time + t) * n, n);
        return y;
    }

    /// <summary>A final state [B, n] of per-sequence tapes: <paramref name="state"/> of each sequence's last step.</summary>
    public static double[] Final<TStep>(List<TStep>[] tapes, int n, Func<TStep, double[]> state)
    {
        var final = new double[tapes.Length * n];
        for (int b = 0; b < tapes.Length; b++) Array.Copy(state(tapes[b][^1]), 0, final, b * n, n);
        return final;
    }

    /// <summary>The objective Σ dy·y + Σ dS·S over each final state S with upstream gradients dS (null: none), summed in the order given.</summary>
    public static double Objective(params (double[]? Upstream, double[] Values)[] terms)
    {
        double loss = 0;
        foreach (var (upstream, values) in terms)
            if (upstream is not null) for (int k = 0; k < values.Length; k++) loss += upstream[k] * values[k];
        return loss;
    }

    /// <summary>Layer norm statistics of v: (mean, 1/sqrt(var + ε)), the variance biased (divided by n).</summary>
    public static (double Mean, double InverseStd) Stats(double[] v, double eps)
    {
        double mean = v.Average();
        double variance = v.Select(e => (e - mean) * (e - mean)).Average();
        return (mean, 1.0 / Math.Sqrt(variance + eps));
    }

    /// <summary>Layer-norm backward: dv = (1/σ)(dv̂ − mean(dv̂) − v̂ ⊙ mean(dv̂ ⊙ v̂)).</summary>
    public static double[] NormBackward(double[] dvhat, double[] vhat, double inverseStd)
    {
        double m1 = dvhat.Average();
        double m2 = dvhat.Zip(vhat, (d, v) => d * v).Average();
        return dvhat.Select((d, j) => inverseStd * (d - m1 - vhat[j] * m2)).ToArray();
    }

    /// <summary>
    /// The LSTM cell's gate gradients at their layer-norm outputs n_k (gates i, f, g, o) from dc (plus dc through h,
    /// <paramref name="dcFromH"/>) and dh; writes dL/dc_prev into <paramref name="dcPrev"/> (which may be <paramref name="dc"/>).
    /// </summary>
    public static double[][] GateBackward(double[] dc, double[] dcFromH, double[] dh, double[][] gate, double[] cPrev, double[] tau, double[] dcPrev)
    {
        int n = dc.Length;
        var dn = new double[4][];
        for (int k = 0; k < 4; k++) dn[k] = new double[n];
        for (int j = 0; j < n; j++)
        {
            double dcj = dc[j] + dcFromH[j];
            double gi = gate[0][j], gf = gate[1][j], gg = gate[2][j], go = gate[3][j];
            dn[0][j] = dcj * gg * gi * (1 - gi);
            dn[1][j] = dcj * cPrev[j] * gf * (1 - gf);
            dn[2][j] = dcj * gi * (1 - gg * gg);
            dn[3][j] = dh[j] * tau[j] * go * (1 - go);
            dcPrev[j] = dcj * gf;
        }
        return dn;
    }
}
