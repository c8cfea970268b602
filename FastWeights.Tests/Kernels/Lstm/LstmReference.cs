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
            var h = Row(c.H0, b, H);
            var cell = Row(c.C0, b, H);
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
                    (ahat[k], inv[k]) = Norm(a, c.Eps);
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
                var (chat, cinv) = Norm(cNew, c.Eps);
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
        var tapes = Run(c);
        int H = c.Hidden;
        return new LstmReferenceOutputs(Sequence(tapes, c.Time, H, s => s.H), Final(tapes, H, s => s.H), Final(tapes, H, s => s.C));
    }

    /// <summary>L = Σ dy·y + Σ dhT·hT + Σ dcT·cT: the scalar the gradients are of.</summary>
    public static double Loss(LstmCase c)
    {
        var o = Forward(c);
        return Objective((c.Dy, o.Y), (c.DhT, o.HT), (c.DcT, o.CT));
    }

    public static LstmReferenceGradients Backward(LstmCase c)
    {
        int H = c.Hidden, I = c.Input;
        var tapes = Run(c);
        var g = c.Differentiable().ToDictionary(p => p.Name, p => new double[p.Values.Length]);
        for (int b = 0; b < c.Batch; b++)
        {
            var dh = Row(c.DhT, b, H);
            var dc = Row(c.DcT, b, H);
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
                        RowAffineBackward(r, da[j], da[j], c.WH, c.WX, s.HPrev, c.X, (b * c.Time + t) * I, g["WH"], g["WX"], dhPrev, g["x"]);
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
