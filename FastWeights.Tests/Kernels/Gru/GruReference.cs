using static FastWeights.Tests.Kernels.Lstm.CellReferenceMath;

namespace FastWeights.Tests.Kernels.Gru;

/// <summary>Outputs of the reference forward.</summary>
public sealed record GruReferenceOutputs(double[] Y, double[] HT);

/// <summary>Gradients of L = Σ dy·y + Σ dhT·hT, named like <see cref="GruCase.Differentiable"/>.</summary>
public sealed record GruReferenceGradients(Dictionary<string, double[]> ByName)
{
    public double[] this[string name] => ByName[name];
}

/// <summary>
/// The layer-normalised GRU of docs/gru.md in float64, written plainly, one sequence and one unit at a time: the
/// specification the kernels are checked against. The backward is derived by hand (docs/gru.md §3) and is itself
/// checked by central differences (<see cref="GruReferenceGradientTests"/>).
/// </summary>
public static class GruReference
{
    /// <summary>
    /// Everything one step computes, kept for the backward. Norms: p̂_g, q̂_g over the 2H gate rows [r; u]; p̂_n, q̂_n
    /// over the H candidate rows.
    /// </summary>
    private sealed record Step(double[] HPrev, double[] PGate, double PGateInv, double[] QGate, double QGateInv,
        double[] PCand, double PCandInv, double[] QCand, double QCandInv,
        double[] R, double[] U, double[] NH, double[] N, double[] H);

    private static List<Step>[] Run(GruCase c)
    {
        int H = c.Hidden, I = c.Input;
        var tapes = new List<Step>[c.Batch];
        for (int b = 0; b < c.Batch; b++)
        {
            tapes[b] = new List<Step>();
            var h = Row(c.H0, b, H);
            for (int t = 0; t < c.Time; t++)
            {
                // p = W_x x_t, q = W_h h_{t−1}, 3H rows each.
                var p = new double[3 * H];
                var q = new double[3 * H];
                for (int r = 0; r < 3 * H; r++)
                {
                    for (int l = 0; l < I; l++) p[r] += c.WX[r * I + l] * c.X[(b * c.Time + t) * I + l];
                    for (int l = 0; l < H; l++) q[r] += c.WH[r * H + l] * h[l];
                }
                var (pg, pgInv) = Norm(p[..(2 * H)], c.Eps);
                var (qg, qgInv) = Norm(q[..(2 * H)], c.Eps);
                var (pn, pnInv) = Norm(p[(2 * H)..], c.Eps);
                var (qn, qnInv) = Norm(q[(2 * H)..], c.Eps);
                var reset = new double[H];
                var update = new double[H];
                var nh = new double[H];
                var cand = new double[H];
                var hNew = new double[H];
                for (int j = 0; j < H; j++)
                {
                    reset[j] = Sigmoid(c.InputLnGain[j] * pg[j] + c.InputLnBias[j] + c.RecurrentLnGain[j] * qg[j] + c.RecurrentLnBias[j]);
                    int u = H + j;
                    update[j] = Sigmoid(c.InputLnGain[u] * pg[u] + c.InputLnBias[u] + c.RecurrentLnGain[u] * qg[u] + c.RecurrentLnBias[u]);
                    int n = 2 * H + j;
                    double nx = c.InputLnGain[n] * pn[j] + c.InputLnBias[n];
                    nh[j] = c.RecurrentLnGain[n] * qn[j] + c.RecurrentLnBias[n];
                    cand[j] = Math.Tanh(nx + reset[j] * nh[j]);
                    hNew[j] = update[j] * h[j] + (1 - update[j]) * cand[j];
                }
                tapes[b].Add(new Step(h, pg, pgInv, qg, qgInv, pn, pnInv, qn, qnInv, reset, update, nh, cand, hNew));
                h = hNew;
            }
        }
        return tapes;
    }

    public static GruReferenceOutputs Forward(GruCase c)
    {
        var tapes = Run(c);
        return new GruReferenceOutputs(Sequence(tapes, c.Time, c.Hidden, s => s.H), Final(tapes, c.Hidden, s => s.H));
    }

    /// <summary>L = Σ dy·y + Σ dhT·hT: the scalar the gradients are of.</summary>
    public static double Loss(GruCase c)
    {
        var o = Forward(c);
        return Objective((c.Dy, o.Y), (c.DhT, o.HT));
    }

    public static GruReferenceGradients Backward(GruCase c)
    {
        int H = c.Hidden, I = c.Input;
        var tapes = Run(c);
        var g = c.Differentiable().ToDictionary(p => p.Name, p => new double[p.Values.Length]);
        for (int b = 0; b < c.Batch; b++)
        {
            var dh = Row(c.DhT, b, H);
            for (int t = c.Time - 1; t >= 0; t--)
            {
                var s = tapes[b][t];
                for (int j = 0; j < H; j++) dh[j] += c.Dy[(b * c.Time + t) * H + j];
                // Gradients at the four norms' affine outputs: dn_x (input) and dn_h (recurrent) for each row.
                var dnInput = new double[3 * H];
                var dnRecurrent = new double[3 * H];
                var dhPrev = new double[H];
                for (int j = 0; j < H; j++)
                {
                    // h = u ⊙ h_prev + (1 − u) ⊙ n
                    double du = dh[j] * (s.HPrev[j] - s.N[j]);
                    double dn = dh[j] * (1 - s.U[j]);
                    dhPrev[j] = dh[j] * s.U[j];
                    // n = tanh(n_x + r ⊙ n_h)
                    double dPre = dn * (1 - s.N[j] * s.N[j]);
                    double dr = dPre * s.NH[j];
                    dnInput[2 * H + j] = dPre;
                    dnRecurrent[2 * H + j] = dPre * s.R[j];
                    // r, u = σ(input affine + recurrent affine)
                    dnInput[j] = dnRecurrent[j] = dr * s.R[j] * (1 - s.R[j]);
                    dnInput[H + j] = dnRecurrent[H + j] = du * s.U[j] * (1 - s.U[j]);
                }
                var pHat = s.PGate.Concat(s.PCand).ToArray();
                var qHat = s.QGate.Concat(s.QCand).ToArray();
                var dpHat = new double[3 * H];
                var dqHat = new double[3 * H];
                for (int r = 0; r < 3 * H; r++)
                {
                    g["InputLnGain"][r] += dnInput[r] * pHat[r];
                    g["InputLnBias"][r] += dnInput[r];
                    g["RecurrentLnGain"][r] += dnRecurrent[r] * qHat[r];
                    g["RecurrentLnBias"][r] += dnRecurrent[r];
                    dpHat[r] = dnInput[r] * c.InputLnGain[r];
                    dqHat[r] = dnRecurrent[r] * c.RecurrentLnGain[r];
                }
                var dp = NormBackward(dpHat[..(2 * H)], s.PGate, s.PGateInv).Concat(NormBackward(dpHat[(2 * H)..], s.PCand, s.PCandInv)).ToArray();
                var dq = NormBackward(dqHat[..(2 * H)], s.QGate, s.QGateInv).Concat(NormBackward(dqHat[(2 * H)..], s.QCand, s.QCandInv)).ToArray();
                for (int r = 0; r < 3 * H; r++)
                    RowAffineBackward(r, dq[r], dp[r], c.WH, c.WX, s.HPrev, c.X, (b * c.Time + t) * I, g["WH"], g["WX"], dhPrev, g["x"]);
                dh = dhPrev;
            }
            Array.Copy(dh, 0, g["h0"], b * H, H);
        }
        return new GruReferenceGradients(g);
    }
}
