using FastWeights.Kernels.LinearFastWeights;

namespace FastWeights.Tests.Kernels.LinearFastWeights;

/// <summary>
/// The linear fast-weight memory (docs/linear-fast-weights.md) in plain float64 C#: full matrices per step, every W
/// kept, φ's derivative as an explicit Jacobian. Independent of the kernels' code; its backward is checked against
/// central differences of its forward (FastWeights.Tests/Kernels/LinearFastWeights/LinearFastWeightReferenceGradientTests.cs).
/// </summary>
public static class LinearFastWeightReference
{
    /// <summary>φ(x).</summary>
    public static double[] Phi(FeatureMap map, double[] x)
    {
        int d = x.Length;
        switch (map)
        {
            case FeatureMap.Identity: return (double[])x.Clone();
            case FeatureMap.EluPlusOne: return x.Select(v => v > 0 ? v + 1 : Math.Exp(v)).ToArray();
        }
        int nu = map.DpfpOrder(), n = 2 * d;
        var r = new double[n];
        for (int i = 0; i < d; i++)
        {
            r[i] = Math.Max(x[i], 0);
            r[d + i] = Math.Max(-x[i], 0);
        }
        // torch.roll(r, s)[p] = r[(p − s) mod n]; φ = concat_s r ⊙ roll(r, s).
        var phi = new double[nu * n];
        for (int s = 1; s <= nu; s++)
            for (int p = 0; p < n; p++)
                phi[(s - 1) * n + p] = r[p] * r[Mod(p - s, n)];
        return phi;
    }

    /// <summary>The Jacobian ∂φ_j/∂x_i, [d', d].</summary>
    public static double[,] Jacobian(FeatureMap map, double[] x)
    {
        int d = x.Length, size = map.FeatureSize(d);
        var J = new double[size, d];
        switch (map)
        {
            case FeatureMap.Identity:
                for (int i = 0; i < d; i++) J[i, i] = 1;
                return J;
            case FeatureMap.EluPlusOne:
                for (int i = 0; i < d; i++) J[i, i] = x[i] > 0 ? 1 : Math.Exp(x[i]);
                return J;
        }
        int nu = map.DpfpOrder(), n = 2 * d;
        double R(int p) => p < d ? Math.Max(x[p], 0) : Math.Max(-x[p - d], 0);
        double dR(int p, int i) => p == i && x[i] > 0 ? 1 : p == i + d && x[i] < 0 ? -1 : 0; // ∂r_p/∂x_i
        for (int s = 1; s <= nu; s++)
            for (int p = 0; p < n; p++)
            {
                int other = Mod(p - s, n);
                for (int i = 0; i < d; i++)
                    J[(s - 1) * n + p, i] = dR(p, i) * R(other) + R(p) * dR(other, i);
            }
        return J;
    }

    /// <summary>Per-step quantities of one (sequence, head), shared by forward and backward.</summary>
    private sealed class Step
    {
        public double[] Kf = null!, Qf = null!;   // φ̃(k), φ̃(q) (normalised for the delta rule with Normalize)
        public double SumK = 1, SumQ = 1;          // Σφ + ε (1 when not normalised)
        public double Rate = 1;                    // σ(β)
        public double[] Retrieved = null!;         // v̄ = W_{t−1} φ̃(k) (delta)
        public double[] WBefore = null!;           // W_{t−1} [m·d']
        public double[] WAfter = null!;            // W_t
        public double[]? ZAfter;                   // z_t
        public double Den = 1;                     // z_tᵀφ(q) + ε
        public double[] Raw = null!;               // W_t φ̃(q) before the division
    }

    private static double[] Slice(double[] a, long offset, int length) => a.AsSpan((int)offset, length).ToArray();

    private static List<Step> Run(LinearReferenceCase c, int b, int h, double[] y)
    {
        var cfg = c.Config;
        int T = cfg.Time, H = cfg.Heads, d = cfg.KeySize, m = cfg.ValueSize, D = cfg.FeatureSize;
        long s = (long)b * H + h;
        var W = c.W0 is null ? new double[m * D] : Slice(c.W0, s * m * D, m * D);
        double[]? z = cfg.KeepsZ ? (c.Z0 is null ? new double[D] : Slice(c.Z0, s * D, D)) : null;
        var steps = new List<Step>();
        for (int t = 0; t < T; t++)
        {
            long row = ((long)b * T + t) * H + h;
            var st = new Step { Kf = Phi(cfg.Map, Slice(c.K, row * d, d)), Qf = Phi(cfg.Map, Slice(c.Q, row * d, d)) };
            var v = Slice(c.V, row * m, m);
            if (cfg.Rule == UpdateRule.Delta && cfg.Normalize)
            {
                st.SumK = st.Kf.Sum() + cfg.Epsilon;
                st.SumQ = st.Qf.Sum() + cfg.Epsilon;
                st.Kf = st.Kf.Select(x => x / st.SumK).ToArray();
                st.Qf = st.Qf.Select(x => x / st.SumQ).ToArray();
            }
            st.WBefore = (double[])W.Clone();
            var u = new double[m];
            if (cfg.Rule == UpdateRule.Delta)
            {
                st.Rate = 1 / (1 + Math.Exp(-c.Beta![row]));
                st.Retrieved = new double[m];
                for (int i = 0; i < m; i++)
                {
                    for (int j = 0; j < D; j++) st.Retrieved[i] += W[i * D + j] * st.Kf[j];
                    u[i] = st.Rate * (v[i] - st.Retrieved[i]);
                }
            }
            else
                u = v;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < D; j++)
                    W[i * D + j] += u[i] * st.Kf[j];
            st.WAfter = (double[])W.Clone();
            if (z is not null)
            {
                for (int j = 0; j < D; j++) z[j] += st.Kf[j];
                st.ZAfter = (double[])z.Clone();
                st.Den = cfg.Epsilon;
                for (int j = 0; j < D; j++) st.Den += z[j] * st.Qf[j];
            }
            st.Raw = new double[m];
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < D; j++) st.Raw[i] += W[i * D + j] * st.Qf[j];
                y[row * m + i] = st.Raw[i] / st.Den;
            }
            steps.Add(st);
        }
        return steps;
    }

    /// <summary>The largest |W_t[i,j]| over every sequence, head, step t = 0 … T and element: how far the writes grew W.</summary>
    public static double LargestMemoryEntry(LinearReferenceCase c)
    {
        var cfg = c.Config;
        var y = new double[(long)cfg.Batch * cfg.Time * cfg.Heads * cfg.ValueSize];
        double largest = 0;
        for (int b = 0; b < cfg.Batch; b++)
            for (int h = 0; h < cfg.Heads; h++)
                foreach (var st in Run(c, b, h, y))
                    largest = Math.Max(largest, Math.Max(st.WBefore.Max(Math.Abs), st.WAfter.Max(Math.Abs)));
        return largest;
    }

    /// <summary>y, WT and zT.</summary>
    public static LinearReferenceOutputs Forward(LinearReferenceCase c)
    {
        var cfg = c.Config;
        int m = cfg.ValueSize, D = cfg.FeatureSize, H = cfg.Heads;
        var y = new double[(long)cfg.Batch * cfg.Time * H * m];
        var wT = new double[(long)cfg.Batch * H * m * D];
        var zT = cfg.KeepsZ ? new double[(long)cfg.Batch * H * D] : null;
        for (int b = 0; b < cfg.Batch; b++)
            for (int h = 0; h < H; h++)
            {
                var steps = Run(c, b, h, y);
                long s = (long)b * H + h;
                steps[^1].WAfter.CopyTo(wT, s * m * D);
                steps[^1].ZAfter?.CopyTo(zT!, s * D);
            }
        return new LinearReferenceOutputs(y, wT, zT);
    }

    /// <summary>L = Σ dy·y + Σ dWT·WT + Σ dzT·zT, the objective the gradients are of.</summary>
    public static double Loss(LinearReferenceCase c)
    {
        var o = Forward(c);
        double loss = Dot(c.Dy, o.Y);
        if (c.DwT is not null) loss += Dot(c.DwT, o.WT);
        if (c.DzT is not null) loss += Dot(c.DzT, o.ZT!);
        return loss;
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (long i = 0; i < a.LongLength; i++) s += a[i] * b[i];
        return s;
    }

    /// <summary>The hand-derived backward of docs/linear-fast-weights.md §3, written with whole matrices.</summary>
    public static LinearReferenceGradients Backward(LinearReferenceCase c)
    {
        var cfg = c.Config;
        int T = cfg.Time, H = cfg.Heads, d = cfg.KeySize, m = cfg.ValueSize, D = cfg.FeatureSize;
        bool delta = cfg.Rule == UpdateRule.Delta;
        var dq = new double[c.Q.LongLength];
        var dk = new double[c.K.LongLength];
        var dv = new double[c.V.LongLength];
        var dbeta = delta ? new double[(long)cfg.Batch * T * H] : null;
        var dw0 = new double[(long)cfg.Batch * H * m * D];
        var dz0 = cfg.KeepsZ ? new double[(long)cfg.Batch * H * D] : null;
        var scratch = new double[c.V.LongLength];
        for (int b = 0; b < cfg.Batch; b++)
            for (int h = 0; h < H; h++)
            {
                long s = (long)b * H + h;
                var steps = Run(c, b, h, scratch);
                var G = c.DwT is null ? new double[m * D] : Slice(c.DwT, s * m * D, m * D);
                var gz = cfg.KeepsZ ? (c.DzT is null ? new double[D] : Slice(c.DzT, s * D, D)) : null;
                for (int t = T - 1; t >= 0; t--)
                {
                    var st = steps[t];
                    long row = ((long)b * T + t) * H + h;
                    var dy = Slice(c.Dy, row * m, m);
                    var v = Slice(c.V, row * m, m);
                    // y = Raw / Den, Raw = W_t φ̃(q).
                    var dRaw = dy.Select(x => x / st.Den).ToArray();
                    double dDen = 0;
                    for (int i = 0; i < m; i++) dDen -= dy[i] * st.Raw[i] / (st.Den * st.Den);
                    var dQf = new double[D];
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < D; j++)
                        {
                            G[i * D + j] += dRaw[i] * st.Qf[j];
                            dQf[j] += st.WAfter[i * D + j] * dRaw[i];
                        }
                    var dKf = new double[D];
                    if (gz is not null)
                        for (int j = 0; j < D; j++)
                        {
                            dQf[j] += dDen * st.ZAfter![j];
                            gz[j] += dDen * st.Qf[j];
                            dKf[j] += gz[j]; // z_t = z_{t−1} + φ(k)
                        }
                    // W_t = W_{t−1} + u φ̃(k)ᵀ.
                    var u = delta ? v.Select((x, i) => st.Rate * (x - st.Retrieved[i])).ToArray() : v;
                    var du = new double[m];
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < D; j++)
                        {
                            du[i] += G[i * D + j] * st.Kf[j];
                            dKf[j] += G[i * D + j] * u[i];
                        }
                    if (delta)
                    {
                        // u = σ(β)(v − W_{t−1} φ̃(k)).
                        double dRate = 0;
                        for (int i = 0; i < m; i++)
                        {
                            dv[row * m + i] = st.Rate * du[i];
                            dRate += du[i] * (v[i] - st.Retrieved[i]);
                        }
                        dbeta![row] = dRate * st.Rate * (1 - st.Rate);
                        for (int i = 0; i < m; i++)
                        {
                            double dRetrieved = -st.Rate * du[i];
                            for (int j = 0; j < D; j++)
                            {
                                dKf[j] += st.WBefore[i * D + j] * dRetrieved;
                                G[i * D + j] += dRetrieved * st.Kf[j];
                            }
                        }
                    }
                    else
                        for (int i = 0; i < m; i++) dv[row * m + i] = du[i];
                    if (delta && cfg.Normalize)
                    {
                        dKf = NormalizeBackward(dKf, st.Kf, st.SumK);
                        dQf = NormalizeBackward(dQf, st.Qf, st.SumQ);
                    }
                    var gk = TransposeTimes(Jacobian(cfg.Map, Slice(c.K, row * d, d)), dKf);
                    var gq = TransposeTimes(Jacobian(cfg.Map, Slice(c.Q, row * d, d)), dQf);
                    gk.CopyTo(dk, row * d);
                    gq.CopyTo(dq, row * d);
                }
                G.CopyTo(dw0, s * m * D);
                gz?.CopyTo(dz0!, s * D);
            }
        return new LinearReferenceGradients(dq, dk, dv, dbeta, dw0, dz0);
    }

    /// <summary>φ̃ = φ/S with S = Σφ + ε: dL/dφ_j = (dL/dφ̃_j − Σ_l dL/dφ̃_l φ̃_l) / S.</summary>
    private static double[] NormalizeBackward(double[] dNormalized, double[] normalized, double sum)
    {
        double projection = 0;
        for (int j = 0; j < normalized.Length; j++) projection += dNormalized[j] * normalized[j];
        return dNormalized.Select(g => (g - projection) / sum).ToArray();
    }

    private static double[] TransposeTimes(double[,] J, double[] g)
    {
        var r = new double[J.GetLength(1)];
        for (int j = 0; j < J.GetLength(0); j++)
            for (int i = 0; i < r.Length; i++)
                r[i] += J[j, i] * g[j];
        return r;
    }

    private static int Mod(int p, int n) => ((p % n) + n) % n;
}
