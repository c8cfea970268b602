namespace FastWeights.Tests.Kernels.Lstm;

/// <summary>The float64 pieces the LSTM, HyperLSTM and GRU references share: the sigmoid and layer norm forward and backward.</summary>
public static class CellReferenceMath
{
    public static double Sigmoid(double v) => 1.0 / (1.0 + Math.Exp(-v));

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
