using static FastWeights.Tests.Kernels.Lstm.CellReferenceMath;

namespace FastWeights.Tests.Kernels.Lstm;

/// <summary>Outputs of the reference forward.</summary>
public sealed record LstmReferenceOutputs(double[] Y, double[] HT, double[] CT);

/// <summary>Gradients of L = Σ dy·y + Σ dhT·hT + Σ dcT·cT, named like <see cref="LstmCase.Differentiable"/>.</summary>
public sealed record LstmReferenceGradients(Dictionary<string, double[]> ByName)
{
    public double[] this[string name] => ByName[name];
}

/// <summary>
/// The layer-normalised LSTM of docs/lstm.md in float64, written plainly, one sequence and one unit at a time:
/// the specification the kernels are checked against. The backward is derived by hand (docs/lstm.md §3) and is
/// itself checked by central differences (<see cref="LstmReferenceGradientTests"/>).
/// </summary>
public static class LstmReference
{
    /// <summary>Everything one step computes, kept for the backward.</summary>
    private sealed record Step(double[] HPrev, double[] CPrev, double[][] Ahat, double[] GateInverseStd, double[][] Gate,
        double[] C, double[] Chat, double CellInverseStd, double[] Tau, double[] H);

    private static List<Step>[] Run(LstmCase c)
    {
        int H = c.Hidden, I = c.Input;
        var tapes = new List<Step>[c.Batch];
        for (int b = 0; b < c.Batch; b++)
        {
            tapes[b] = new List<Step>();
            var h = c.H0.Skip(b * H).Take(H).ToArray();
            var cell = c.C0.Skip(b * H).Take(H).ToArray();
            for (int t = 0; t < c.Time; t++)
            {
                var ahat = new double[4][];
                var gate = new double[4][];
                var inv = new double[4];
                for (int k = 0; k < 4; k++)
                {
                    var a = new double[H];
                    for (int j = 0; j < H; j++)
                    {
                        int r = k * H + j;
                        double acc = c.B[r];
                        for (int l = 0; l < H; l++) acc += c.WH[r * H + l] * h[l];
                        for (int l = 0; l < I; l++) acc += c.WX[r * I + l] * c.X[(b * c.Time + t) * I + l];
                        a[j] = acc;
                    }
                    var (mean, inverseStd) = Stats(a, c.Eps);
                    inv[k] = inverseStd;
                    ahat[k] = a.Select(v => (v - mean) * inverseStd).ToArray();
                    gate[k] = new double[H];
                    for (int j = 0; j < H; j++)
                    {
                        double n = c.LnGain[k * H + j] * ahat[k][j] + c.LnBias[k * H + j];
                        gate[k][j] = k == 2 ? Math.Tanh(n) : Sigmoid(n);
                    }
                }
                var cNew = new double[H];
                for (int j = 0; j < H; j++)
                    cNew[j] = gate[1][j] * cell[j] + gate[0][j] * gate[2][j];
                var (cm, cinv) = Stats(cNew, c.Eps);
                var chat = cNew.Select(v => (v - cm) * cinv).ToArray();
                var tau = new double[H];
                var hNew = new double[H];
                for (int j = 0; j < H; j++)
                {
                    tau[j] = Math.Tanh(c.CellLnGain[j] * chat[j] + c.CellLnBias[j]);
                    hNew[j] = gate[3][j] * tau[j];
                }
                tapes[b].Add(new Step(h, cell, ahat, inv, gate, cNew, chat, cinv, tau, hNew));
                h = hNew;
                cell = cNew;
            }
        }
        return tapes;
    }

    public static LstmReferenceOutputs Forward(LstmCase c)
    {
        int H = c.Hidden;
        var tapes = Run(c);
        var y = new double[c.Batch * c.Time * H];
        var hT = new double[c.Batch * H];
        var cT = new double[c.Batch * H];
        for (int b = 0; b < c.Batch; b++)
        {
            for (int t = 0; t < c.Time; t++)
                Array.Copy(tapes[b][t].H, 0, y, (b * c.Time + t) * H, H);
            Array.Copy(tapes[b][^1].H, 0, hT, b * H, H);
            Array.Copy(tapes[b][^1].C, 0, cT, b * H, H);
        }
        return new LstmReferenceOutputs(y, hT, cT);
    }

    /// <summary>L = Σ dy·y + Σ dhT·hT + Σ dcT·cT: the scalar the gradients are of.</summary>
    public static double Loss(LstmCase c)
    {
        var o = Forward(c);
        double loss = 0;
        for (int k = 0; k < o.Y.Length; k++) loss += c.Dy[k] * o.Y[k];
        if (c.DhT is not null) for (int k = 0; k < o.HT.Length; k++) loss += c.DhT[k] * o.HT[k];
        if (c.DcT is not null) for (int k = 0; k < o.CT.Length; k++) loss += c.DcT[k] * o.CT[k];
        return loss;
    }

    public static LstmReferenceGradients Backward(LstmCase c)
    {
        int H = c.Hidden, I = c.Input;
        var tapes = Run(c);
        var g = c.Differentiable().ToDictionary(p => p.Name, p => new double[p.Values.Length]);
        for (int b = 0; b < c.Batch; b++)
        {
            var dh = c.DhT is null ? new double[H] : c.DhT.Skip(b * H).Take(H).ToArray();
            var dc = c.DcT is null ? new double[H] : c.DcT.Skip(b * H).Take(H).ToArray();
            for (int t = c.Time - 1; t >= 0; t--)
            {
                var s = tapes[b][t];
                for (int j = 0; j < H; j++) dh[j] += c.Dy[(b * c.Time + t) * H + j];
                // h = o ⊙ tanh(m), m = γ_c ĉ + β_c.
                var dchat = new double[H];
                for (int j = 0; j < H; j++)
                {
                    double dm = dh[j] * s.Gate[3][j] * (1 - s.Tau[j] * s.Tau[j]);
                    g["CellLnGain"][j] += dm * s.Chat[j];
                    g["CellLnBias"][j] += dm;
                    dchat[j] = dm * c.CellLnGain[j];
                }
                var dcFromH = NormBackward(dchat, s.Chat, s.CellInverseStd);
                // c = f ⊙ c_prev + i ⊙ g; gate gradients at their inputs n_k.
                var dcPrev = new double[H];
                var dn = GateBackward(dc, dcFromH, dh, s.Gate, s.CPrev, s.Tau, dcPrev);
                // Gate layer norms, then a = W_h h_prev + W_x x + b.
                var dhPrev = new double[H];
                for (int k = 0; k < 4; k++)
                {
                    var dahat = new double[H];
                    for (int j = 0; j < H; j++)
                    {
                        int r = k * H + j;
                        g["LnGain"][r] += dn[k][j] * s.Ahat[k][j];
                        g["LnBias"][r] += dn[k][j];
                        dahat[j] = dn[k][j] * c.LnGain[r];
                    }
                    var da = NormBackward(dahat, s.Ahat[k], s.GateInverseStd[k]);
                    for (int j = 0; j < H; j++)
                    {
                        int r = k * H + j;
                        g["B"][r] += da[j];
                        for (int l = 0; l < H; l++)
                        {
                            g["WH"][r * H + l] += da[j] * s.HPrev[l];
                            dhPrev[l] += c.WH[r * H + l] * da[j];
                        }
                        for (int l = 0; l < I; l++)
                        {
                            int xi = (b * c.Time + t) * I + l;
                            g["WX"][r * I + l] += da[j] * c.X[xi];
                            g["x"][xi] += c.WX[r * I + l] * da[j];
                        }
                    }
                }
                dh = dhPrev;
                dc = dcPrev;
            }
            Array.Copy(dh, 0, g["h0"], b * H, H);
            Array.Copy(dc, 0, g["c0"], b * H, H);
        }
        return new LstmReferenceGradients(g);
    }
}
