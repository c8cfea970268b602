using static FastWeights.Tests.Kernels.Lstm.CellReferenceMath;

namespace FastWeights.Tests.Kernels.HyperLstm;

/// <summary>
/// The HyperLSTM of docs/lstm.md §8 in float64, written plainly, one sequence at a time: the specification the
/// kernels are checked against. The backward is derived by hand and checked by central differences
/// (<see cref="HyperLstmReferenceGradientTests"/>).
/// </summary>
public static class HyperLstmReference
{
    /// <summary>One layer-normalised LSTM cell step and everything its backward needs.</summary>
    private sealed class Cell
    {
        public required double[][] Ahat, Gate;
        public required double[] InverseStd, CPrev, C, Chat, Tau, H;
        public required double CellInverseStd;
    }

    /// <summary>Gates from the pre-activation a [4n] (LN per gate), then c and h with LN on c.</summary>
    private static Cell CellForward(double[] a, double[] cPrev, double[] gain, double[] bias, double[] cellGain, double[] cellBias, double eps)
    {
        int n = cPrev.Length;
        var ahat = new double[4][];
        var gate = new double[4][];
        var inv = new double[4];
        for (int k = 0; k < 4; k++)
        {
            var ak = a.Skip(k * n).Take(n).ToArray();
            (ahat[k], inv[k]) = Norm(ak, eps);
            gate[k] = ahat[k].Select((v, j) =>
            {
                double pre = gain[k * n + j] * v + bias[k * n + j];
                return k == 2 ? Math.Tanh(pre) : Sigmoid(pre);
            }).ToArray();
        }
        var c = new double[n];
        for (int j = 0; j < n; j++) c[j] = gate[1][j] * cPrev[j] + gate[0][j] * gate[2][j];
        var (chat, cinv) = Norm(c, eps);
        var tau = chat.Select((v, j) => Math.Tanh(cellGain[j] * v + cellBias[j])).ToArray();
        var h = tau.Select((v, j) => gate[3][j] * v).ToArray();
        return new Cell { Ahat = ahat, Gate = gate, InverseStd = inv, CPrev = cPrev, C = c, Chat = chat, CellInverseStd = cinv, Tau = tau, H = h };
    }

    /// <summary>Backward of one cell step: returns da [4n]; dc becomes dL/dc_prev; the LN gradients accumulate.</summary>
    private static double[] CellBackward(Cell s, double[] dh, double[] dc, double[] gain, double[] cellGain,
        double[] dGain, double[] dBias, double[] dCellGain, double[] dCellBias)
    {
        int n = dh.Length;
        var dchat = new double[n];
        for (int j = 0; j < n; j++)
        {
            double dm = dh[j] * s.Gate[3][j] * (1 - s.Tau[j] * s.Tau[j]);
            dCellGain[j] += dm * s.Chat[j];
            dCellBias[j] += dm;
            dchat[j] = dm * cellGain[j];
        }
        var dcFromH = NormBackward(dchat, s.Chat, s.CellInverseStd);
        var dn = GateBackward(dc, dcFromH, dh, s.Gate, s.CPrev, s.Tau, dc);
        var da = new double[4 * n];
        for (int k = 0; k < 4; k++)
        {
            var dahat = new double[n];
            for (int j = 0; j < n; j++)
            {
                int r = k * n + j;
                dGain[r] += dn[k][j] * s.Ahat[k][j];
                dBias[r] += dn[k][j];
                dahat[j] = dn[k][j] * gain[r];
            }
            NormBackward(dahat, s.Ahat[k], s.InverseStd[k]).CopyTo(da, k * n);
        }
        return da;
    }

    /// <summary>out[r] += Σ_l W[r,l] v[l] for W [rows, v.Length].</summary>
    private static void MulAdd(double[] output, double[] w, double[] v)
    {
        for (int r = 0; r < output.Length; r++)
            for (int l = 0; l < v.Length; l++)
                output[r] += w[r * v.Length + l] * v[l];
    }

    /// <summary>dv[l] += Σ_r W[r,l] g[r] and dW[r,l] += g[r] v[l].</summary>
    private static void MulAddBackward(double[] g, double[] w, double[] v, double[] dw, double[] dv)
    {
        for (int r = 0; r < g.Length; r++)
            for (int l = 0; l < v.Length; l++)
            {
                dw[r * v.Length + l] += g[r] * v[l];
                dv[l] += w[r * v.Length + l] * g[r];
            }
    }

    private sealed record Step(double[] HPrev, double[] HyperHPrev, double[] X, Cell Hyper, double[] Z, double[] D, double[] U, double[] V, Cell Main);

    private static double[] Slice(double[] a, int offset, int n) => a.Skip(offset).Take(n).ToArray();

    private static List<Step>[] Run(HyperLstmCase c)
    {
        int H = c.Hidden, I = c.Input, N = c.HyperHidden, Z = c.Embedding;
        var tapes = new List<Step>[c.Batch];
        for (int b = 0; b < c.Batch; b++)
        {
            tapes[b] = new List<Step>();
            double[] h = Row(c["h0"], b, H), cell = Row(c["c0"], b, H);
            double[] hh = Row(c["hh0"], b, N), hc = Row(c["hc0"], b, N);
            for (int t = 0; t < c.Time; t++)
            {
                var x = Slice(c["x"], (b * c.Time + t) * I, I);
                // Hyper cell on [h_{t−1}, x_t] with its own recurrent state ĥ.
                var ah = (double[])c["HyperB"].Clone();
                MulAdd(ah, c["HyperWH"], hh);
                MulAdd(ah, c["HyperWHMain"], h);
                MulAdd(ah, c["HyperWX"], x);
                var hyper = CellForward(ah, hc, c["HyperLnGain"], c["HyperLnBias"], c["HyperCellLnGain"], c["HyperCellLnBias"], c.Eps);
                // z = W_z ĥ_t + [b_z; 0] (z_b has no bias), then d[τ,k,j] = Σ_m W_d[(τ,k,j),m] z[τ,k,m].
                var z = new double[12 * Z];
                Array.Copy(c["BZ"], z, 8 * Z);
                MulAdd(z, c["WZ"], hyper.H);
                var d = new double[12 * H];
                for (int tk = 0; tk < 12; tk++)
                    for (int j = 0; j < H; j++)
                        for (int m = 0; m < Z; m++)
                            d[tk * H + j] += c["WD"][(tk * H + j) * Z + m] * z[tk * Z + m];
                // a = d_h ⊙ W_h h + d_x ⊙ W_x x + d_b + b.
                var u = new double[4 * H];
                MulAdd(u, c["WH"], h);
                var v = new double[4 * H];
                MulAdd(v, c["WX"], x);
                var a = new double[4 * H];
                for (int r = 0; r < 4 * H; r++)
                    a[r] = d[r] * u[r] + d[4 * H + r] * v[r] + d[8 * H + r] + c["B"][r];
                var main = CellForward(a, cell, c["LnGain"], c["LnBias"], c["CellLnGain"], c["CellLnBias"], c.Eps);
                tapes[b].Add(new Step(h, hh, x, hyper, z, d, u, v, main));
                h = main.H; cell = main.C; hh = hyper.H; hc = hyper.C;
            }
        }
        return tapes;
    }

    /// <summary>Outputs by name: y [B,T,H], hT, cT [B,H], hhT, hcT [B,N].</summary>
    public static Dictionary<string, double[]> Forward(HyperLstmCase c)
    {
        int H = c.Hidden, N = c.HyperHidden;
        var tapes = Run(c);
        return new Dictionary<string, double[]>
        {
            ["y"] = Sequence(tapes, c.Time, H, s => s.Main.H), ["hT"] = Final(tapes, H, s => s.Main.H), ["cT"] = Final(tapes, H, s => s.Main.C),
            ["hhT"] = Final(tapes, N, s => s.Hyper.H), ["hcT"] = Final(tapes, N, s => s.Hyper.C),
        };
    }

    /// <summary>L = Σ dy·y + Σ over the given state gradients of dS·S.</summary>
    public static double Loss(HyperLstmCase c)
    {
        var o = Forward(c);
        double loss = c.Dy.Zip(o["y"], (g, v) => g * v).Sum();
        foreach (var (name, g) in c.StateGradients)
            loss += g.Zip(o[name[1..]], (p, q) => p * q).Sum();
        return loss;
    }

    /// <summary>Gradients of <see cref="Loss"/> by name (<see cref="HyperLstmCase.Names"/>).</summary>
    public static Dictionary<string, double[]> Backward(HyperLstmCase c)
    {
        int H = c.Hidden, I = c.Input, N = c.HyperHidden, Z = c.Embedding;
        var tapes = Run(c);
        var g = HyperLstmCase.Names.ToDictionary(n => n, n => new double[c.Length(n)]);
        double[] State(string name, int b, int n) => Row(c.StateGradients.GetValueOrDefault(name), b, n);
        for (int b = 0; b < c.Batch; b++)
        {
            double[] dh = State("dhT", b, H), dc = State("dcT", b, H), dhh = State("dhhT", b, N), dhc = State("dhcT", b, N);
            for (int t = c.Time - 1; t >= 0; t--)
            {
                var s = tapes[b][t];
                for (int j = 0; j < H; j++) dh[j] += c.Dy[(b * c.Time + t) * H + j];
                var da = CellBackward(s.Main, dh, dc, c["LnGain"], c["CellLnGain"], g["LnGain"], g["LnBias"], g["CellLnGain"], g["CellLnBias"]);
                // a = d_h ⊙ u + d_x ⊙ v + d_b + b.
                var dd = new double[12 * H];
                var du = new double[4 * H];
                var dv = new double[4 * H];
                for (int r = 0; r < 4 * H; r++)
                {
                    dd[r] = da[r] * s.U[r];
                    dd[4 * H + r] = da[r] * s.V[r];
                    dd[8 * H + r] = da[r];
                    g["B"][r] += da[r];
                    du[r] = da[r] * s.D[r];
                    dv[r] = da[r] * s.D[4 * H + r];
                }
                var dhPrev = new double[H];
                MulAddBackward(du, c["WH"], s.HPrev, g["WH"], dhPrev);
                var dx = new double[I];
                MulAddBackward(dv, c["WX"], s.X, g["WX"], dx);
                // d = W_d z (block-diagonal over the twelve (type, gate) blocks).
                var dz = new double[12 * Z];
                for (int tk = 0; tk < 12; tk++)
                    for (int j = 0; j < H; j++)
                        for (int m = 0; m < Z; m++)
                        {
                            g["WD"][(tk * H + j) * Z + m] += dd[tk * H + j] * s.Z[tk * Z + m];
                            dz[tk * Z + m] += c["WD"][(tk * H + j) * Z + m] * dd[tk * H + j];
                        }
                // z = W_z ĥ_t + [b_z; 0].
                for (int r = 0; r < 8 * Z; r++) g["BZ"][r] += dz[r];
                MulAddBackward(dz, c["WZ"], s.Hyper.H, g["WZ"], dhh);
                // The hyper cell, then its pre-activation b̂ + Ŵ_h ĥ + Ŵ_hm h + Ŵ_x x.
                var dah = CellBackward(s.Hyper, dhh, dhc, c["HyperLnGain"], c["HyperCellLnGain"],
                    g["HyperLnGain"], g["HyperLnBias"], g["HyperCellLnGain"], g["HyperCellLnBias"]);
                for (int r = 0; r < 4 * N; r++) g["HyperB"][r] += dah[r];
                var dhhPrev = new double[N];
                MulAddBackward(dah, c["HyperWH"], s.HyperHPrev, g["HyperWH"], dhhPrev);
                MulAddBackward(dah, c["HyperWHMain"], s.HPrev, g["HyperWHMain"], dhPrev);
                MulAddBackward(dah, c["HyperWX"], s.X, g["HyperWX"], dx);
                for (int l = 0; l < I; l++) g["x"][(b * c.Time + t) * I + l] += dx[l];
                dh = dhPrev;
                dhh = dhhPrev;
            }
            dh.CopyTo(g["h0"], b * H);
            dc.CopyTo(g["c0"], b * H);
            dhh.CopyTo(g["hh0"], b * N);
            dhc.CopyTo(g["hc0"], b * N);
        }
        return g;
    }
}
