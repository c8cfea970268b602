using System.Diagnostics.CodeAnalysis;

namespace FastWeights.Tests.Kernels.FastWeightRnn;

/// <summary>
/// Sizes and hyper-parameters of the fast-weight RNN layer.
/// Decay λ ∈ (0,1], FastLr η ≥ 0, InnerSteps S ≥ 1; Relu selects ReLU instead of tanh.
/// </summary>
public sealed record ReferenceConfig(int Batch, int Time, int Input, int Hidden, int InnerSteps,
    double Decay, double FastLr, bool Relu, double LnEps = 1e-5, bool LayerNorm = true)
{
    /// <summary>Throws if any size or hyper-parameter is out of range.</summary>
    public void Validate()
    {
        if (Batch < 1 || Time < 1 || Input < 1 || Hidden < 1)
            throw new ArgumentException($"sizes must be >= 1: {this}");
        if (InnerSteps < 1) throw new ArgumentException($"InnerSteps must be >= 1: {this}");
        if (!(Decay > 0.0 && Decay <= 1.0)) throw new ArgumentException($"Decay must be in (0,1]: {this}");
        if (!(FastLr >= 0.0)) throw new ArgumentException($"FastLr must be >= 0: {this}");
        if (!(LnEps >= 0.0)) throw new ArgumentException($"LnEps must be >= 0: {this}");
    }
}

/// <summary>Layer parameters, flat row-major: W [H,H], C [H,I], B [H], LnGain [H], LnBias [H].</summary>
public sealed class ReferenceParams
{
    public required double[] W, C, B, LnGain, LnBias;

    public ReferenceParams() { }

    [SetsRequiredMembers]
    public ReferenceParams(double[] w, double[] c, double[] b, double[] lnGain, double[] lnBias)
    {
        W = w; C = c; B = b; LnGain = lnGain; LnBias = lnBias;
    }

    /// <summary>All-zero parameters of the right shapes.</summary>
    [SetsRequiredMembers]
    public ReferenceParams(ReferenceConfig cfg)
        : this(new double[cfg.Hidden * cfg.Hidden], new double[cfg.Hidden * cfg.Input],
               new double[cfg.Hidden], new double[cfg.Hidden], new double[cfg.Hidden]) { }

    public ReferenceParams Clone() =>
        new((double[])W.Clone(), (double[])C.Clone(), (double[])B.Clone(),
            (double[])LnGain.Clone(), (double[])LnBias.Clone());
}

/// <summary>Inputs, flat row-major: X [B,T,I], H0 [B,H], A0 [B,H,H].</summary>
public sealed class ReferenceInputs
{
    public required double[] X, H0, A0;

    public ReferenceInputs() { }

    [SetsRequiredMembers]
    public ReferenceInputs(double[] x, double[] h0, double[] a0)
    {
        X = x; H0 = h0; A0 = a0;
    }

    public ReferenceInputs Clone() =>
        new((double[])X.Clone(), (double[])H0.Clone(), (double[])A0.Clone());
}

/// <summary>Outputs, flat row-major: Y [B,T,H], HT [B,H], AT [B,H,H].</summary>
public sealed record ReferenceOutputs(double[] Y, double[] HT, double[] AT);

/// <summary>Gradients; each has the shape of the array it belongs to.</summary>
public sealed class ReferenceGradients
{
    public required double[] DX, DH0, DA0, DW, DC, DB, DLnGain, DLnBias;

    public ReferenceGradients() { }

    /// <summary>All-zero gradients of the right shapes.</summary>
    [SetsRequiredMembers]
    public ReferenceGradients(ReferenceConfig cfg)
    {
        int bsz = cfg.Batch, t = cfg.Time, i = cfg.Input, h = cfg.Hidden;
        DX = new double[bsz * t * i];
        DH0 = new double[bsz * h];
        DA0 = new double[bsz * h * h];
        DW = new double[h * h];
        DC = new double[h * i];
        DB = new double[h];
        DLnGain = new double[h];
        DLnBias = new double[h];
    }

    /// <summary>(name, array) pairs in a fixed order, for reporting and comparison.</summary>
    public IEnumerable<(string Name, double[] Values)> All()
    {
        yield return (nameof(DX), DX);
        yield return (nameof(DH0), DH0);
        yield return (nameof(DA0), DA0);
        yield return (nameof(DW), DW);
        yield return (nameof(DC), DC);
        yield return (nameof(DB), DB);
        yield return (nameof(DLnGain), DLnGain);
        yield return (nameof(DLnBias), DLnBias);
    }
}

/// <summary>
/// Plain float64 reference of the fast-weight RNN layer (Ba et al. 2016), per sequence:
/// <code>
/// for t in 0..T-1:
///     z   = W h + C x_t + b
///     h_0 = f(z)
///     for s in 0..S-1: h_{s+1} = f(LN(z + A h_s))
///     h = h_S; y_t = h
///     A = λ A + η h hᵀ
/// </code>
/// LN(v) = g ⊙ (v − mean(v)) / sqrt(var(v) + ε) + beta with the biased variance.
/// Plain loops, no cleverness: this is the ground truth for the GPU kernels.
/// </summary>
public static class FastWeightRnnReference
{
    /// <summary>Everything one time step of one sequence needs for the reverse pass.</summary>
    private sealed class StepTrace
    {
        public required double[] HPrev;   // [H]   h entering the step
        public required double[] APrev;   // [H*H] A entering the step (A' — used by the inner steps)
        public required double[] Z;       // [H]   W h + C x + b
        public required double[][] Hs;    // S+1 vectors [H]: h_0 .. h_S
        public required double[][] N;     // S vectors [H]: LN output, argument of f
        public required double[][] XHat;  // S vectors [H]: normalised (v − mean) * rstd
        public required double[] Rstd;    // [S]   1 / sqrt(var + ε)
    }

    /// <summary>
    /// v = z + A' h_s backwards: adds dv to <paramref name="dz"/> and dv h_sᵀ to <paramref name="dAPrev"/>, and returns
    /// dh_s = A'ᵀ dv (the same operations in the same order for the plain and the layer-normed inner step).
    /// </summary>
    private static double[] BackwardThroughV(double[] dv, double[] hs, double[] aPrev, double[] dz, double[] dAPrev, int h)
    {
        var dhs = new double[h];
        for (int i = 0; i < h; i++)
        {
            dz[i] += dv[i];
            for (int j = 0; j < h; j++)
            {
                dAPrev[i * h + j] += dv[i] * hs[j];
                dhs[j] += aPrev[i * h + j] * dv[i];
            }
        }
        return dhs;
    }

    public static ReferenceOutputs Forward(ReferenceConfig cfg, ReferenceParams p, ReferenceInputs inp)
        => Run(cfg, p, inp, traces: null);

    public static ReferenceGradients Backward(ReferenceConfig cfg, ReferenceParams p, ReferenceInputs inp,
        double[] dy, double[]? dhT, double[]? dAT)
    {
        CheckUpstream(cfg, dy, dhT, dAT);
        int bsz = cfg.Batch, tLen = cfg.Time, inSz = cfg.Input, h = cfg.Hidden, steps = cfg.InnerSteps;
        double lambda = cfg.Decay, eta = cfg.FastLr;

        var traces = new StepTrace[bsz][];
        Run(cfg, p, inp, traces);

        var g = new ReferenceGradients(cfg);

        for (int b = 0; b < bsz; b++)
        {
            // dh: gradient reaching the layer's h after step t (from step t+1, or from dhT).
            // aBar: gradient reaching A after the write of step t (from step t+1, or from dAT).
            var dh = new double[h];
            var aBar = new double[h * h];
            for (int i = 0; i < h; i++) dh[i] = dhT is null ? 0.0 : dhT[b * h + i];
            for (int k = 0; k < h * h; k++) aBar[k] = dAT is null ? 0.0 : dAT[b * h * h + k];

            for (int t = tLen - 1; t >= 0; t--)
            {
                var tr = traces[b][t];
                double[] hOut = tr.Hs[steps];

                // y_t = h_S
                for (int i = 0; i < h; i++) dh[i] += dy[(b * tLen + t) * h + i];

                // A_new = λ A' + η h hᵀ  ⇒  dh += η (Ā + Āᵀ) h ;  dA' = λ Ā
                for (int i = 0; i < h; i++)
                {
                    double acc = 0.0;
                    for (int j = 0; j < h; j++)
                        acc += (aBar[i * h + j] + aBar[j * h + i]) * hOut[j];
                    dh[i] += eta * acc;
                }
                var dAPrev = new double[h * h];
                for (int k = 0; k < h * h; k++) dAPrev[k] = lambda * aBar[k];

                var dz = new double[h];
                var dhs = dh; // gradient w.r.t. h_{s+1}, starting at s+1 = S
                for (int s = steps - 1; s >= 0; s--)
                {
                    // h_{s+1} = f(n_s)
                    var dn = new double[h];
                    for (int i = 0; i < h; i++)
                        dn[i] = dhs[i] * ActivationDerivative(cfg.Relu, tr.N[s][i], tr.Hs[s + 1][i]);

                    if (!cfg.LayerNorm)
                    {
                        // Without layer norm n = v: dv = dn, and g, beta receive nothing.
                        dhs = BackwardThroughV(dn, tr.Hs[s], tr.APrev, dz, dAPrev, h);
                        continue;
                    }

                    // n = g ⊙ xhat + beta
                    var dxhat = new double[h];
                    for (int i = 0; i < h; i++)
                    {
                        g.DLnBias[i] += dn[i];
                        g.DLnGain[i] += dn[i] * tr.XHat[s][i];
                        dxhat[i] = dn[i] * p.LnGain[i];
                    }

                    // xhat = (v − mean v) * rstd  ⇒  dv = rstd (dxhat − mean(dxhat) − xhat mean(dxhat ⊙ xhat))
                    double meanD = 0.0, meanDX = 0.0;
                    for (int i = 0; i < h; i++)
                    {
                        meanD += dxhat[i];
                        meanDX += dxhat[i] * tr.XHat[s][i];
                    }
                    meanD /= h;
                    meanDX /= h;
                    var dv = new double[h];
                    for (int i = 0; i < h; i++)
                        dv[i] = tr.Rstd[s] * (dxhat[i] - meanD - tr.XHat[s][i] * meanDX);

                    dhs = BackwardThroughV(dv, tr.Hs[s], tr.APrev, dz, dAPrev, h); // now the gradient w.r.t. h_s
                }

                // h_0 = f(z)
                for (int i = 0; i < h; i++)
                    dz[i] += dhs[i] * ActivationDerivative(cfg.Relu, tr.Z[i], tr.Hs[0][i]);

                // z = W h_prev + C x_t + b
                var dhPrev = new double[h];
                int xOff = (b * tLen + t) * inSz;
                for (int i = 0; i < h; i++)
                {
                    g.DB[i] += dz[i];
                    for (int j = 0; j < h; j++)
                    {
                        g.DW[i * h + j] += dz[i] * tr.HPrev[j];
                        dhPrev[j] += p.W[i * h + j] * dz[i];
                    }
                    for (int k = 0; k < inSz; k++)
                    {
                        g.DC[i * inSz + k] += dz[i] * inp.X[xOff + k];
                        g.DX[xOff + k] += p.C[i * inSz + k] * dz[i];
                    }
                }

                dh = dhPrev;
                aBar = dAPrev;
            }

            for (int i = 0; i < h; i++) g.DH0[b * h + i] = dh[i];
            for (int k = 0; k < h * h; k++) g.DA0[b * h * h + k] = aBar[k];
        }

        return g;
    }

    public static double Objective(ReferenceConfig cfg, ReferenceParams p, ReferenceInputs inp,
        double[] dy, double[]? dhT, double[]? dAT)
    {
        CheckUpstream(cfg, dy, dhT, dAT);
        var o = Forward(cfg, p, inp);
        double sum = 0.0;
        for (int k = 0; k < o.Y.Length; k++) sum += dy[k] * o.Y[k];
        if (dhT is not null)
            for (int k = 0; k < o.HT.Length; k++) sum += dhT[k] * o.HT[k];
        if (dAT is not null)
            for (int k = 0; k < o.AT.Length; k++) sum += dAT[k] * o.AT[k];
        return sum;
    }

    public static ReferenceGradients FiniteDifferences(ReferenceConfig cfg, ReferenceParams p, ReferenceInputs inp,
        double[] dy, double[]? dhT, double[]? dAT, double step = 1e-6)
    {
        if (!(step > 0.0)) throw new ArgumentOutOfRangeException(nameof(step));
        // Work on copies so the caller's arrays are never touched, even transiently.
        var pc = p.Clone();
        var ic = inp.Clone();
        var g = new ReferenceGradients(cfg);

        double F() => Objective(cfg, pc, ic, dy, dhT, dAT);

        void Central(double[] target, double[] grad) => CentralDifferences.Of(target, F, step).CopyTo(grad, 0);

        Central(ic.X, g.DX);
        Central(ic.H0, g.DH0);
        Central(ic.A0, g.DA0);
        Central(pc.W, g.DW);
        Central(pc.C, g.DC);
        Central(pc.B, g.DB);
        Central(pc.LnGain, g.DLnGain);
        Central(pc.LnBias, g.DLnBias);
        return g;
    }

    /// <summary>
    /// Smallest |argument| of any ReLU/tanh evaluated in the forward pass (z and every LN output).
    /// Finite differences are only meaningful for ReLU when this is well above the step size.
    /// </summary>
    internal static double MinAbsActivationArgument(ReferenceConfig cfg, ReferenceParams p, ReferenceInputs inp)
    {
        var traces = new StepTrace[cfg.Batch][];
        Run(cfg, p, inp, traces);
        double min = double.PositiveInfinity;
        foreach (var seq in traces)
            foreach (var tr in seq)
            {
                foreach (double v in tr.Z) min = Math.Min(min, Math.Abs(v));
                foreach (var n in tr.N)
                    foreach (double v in n) min = Math.Min(min, Math.Abs(v));
            }
        return min;
    }

    private static double Activation(bool relu, double x) => relu ? (x > 0.0 ? x : 0.0) : Math.Tanh(x);

    /// <summary>f'(x) given x and y = f(x). ReLU'(0) = 0.</summary>
    private static double ActivationDerivative(bool relu, double x, double y) =>
        relu ? (x > 0.0 ? 1.0 : 0.0) : 1.0 - y * y;

    private static ReferenceOutputs Run(ReferenceConfig cfg, ReferenceParams p, ReferenceInputs inp,
        StepTrace[][]? traces)
    {
        CheckShapes(cfg, p, inp);
        int bsz = cfg.Batch, tLen = cfg.Time, inSz = cfg.Input, h = cfg.Hidden, steps = cfg.InnerSteps;
        double lambda = cfg.Decay, eta = cfg.FastLr;

        var y = new double[bsz * tLen * h];
        var hT = new double[bsz * h];
        var aT = new double[bsz * h * h];

        for (int b = 0; b < bsz; b++)
        {
            if (traces is not null) traces[b] = new StepTrace[tLen];

            var hCur = new double[h];
            var a = new double[h * h];
            Array.Copy(inp.H0, b * h, hCur, 0, h);
            Array.Copy(inp.A0, b * h * h, a, 0, h * h);

            for (int t = 0; t < tLen; t++)
            {
                // z = W h + C x_t + b
                var z = new double[h];
                int xOff = (b * tLen + t) * inSz;
                for (int i = 0; i < h; i++)
                {
                    double acc = p.B[i];
                    for (int j = 0; j < h; j++) acc += p.W[i * h + j] * hCur[j];
                    for (int k = 0; k < inSz; k++) acc += p.C[i * inSz + k] * inp.X[xOff + k];
                    z[i] = acc;
                }

                var hs = new double[steps + 1][];
                var ns = new double[steps][];
                var xhats = new double[steps][];
                var rstds = new double[steps];

                // h_0 = f(z)
                hs[0] = new double[h];
                for (int i = 0; i < h; i++) hs[0][i] = Activation(cfg.Relu, z[i]);

                for (int s = 0; s < steps; s++)
                {
                    // v = z + A h_s
                    var v = new double[h];
                    for (int i = 0; i < h; i++)
                    {
                        double acc = z[i];
                        for (int j = 0; j < h; j++) acc += a[i * h + j] * hs[s][j];
                        v[i] = acc;
                    }

                    // LN with biased variance (or, with LayerNorm off, n = v: mean 0, rstd 1, g and beta unused)
                    double mean = 0.0;
                    for (int i = 0; i < h; i++) mean += v[i];
                    mean /= h;
                    double variance = 0.0;
                    for (int i = 0; i < h; i++) variance += (v[i] - mean) * (v[i] - mean);
                    variance /= h;
                    double rstd = 1.0 / Math.Sqrt(variance + cfg.LnEps);
                    if (!cfg.LayerNorm) { mean = 0.0; rstd = 1.0; }

                    var xhat = new double[h];
                    var n = new double[h];
                    var hNext = new double[h];
                    for (int i = 0; i < h; i++)
                    {
                        xhat[i] = (v[i] - mean) * rstd;
                        n[i] = cfg.LayerNorm ? p.LnGain[i] * xhat[i] + p.LnBias[i] : xhat[i];
                        hNext[i] = Activation(cfg.Relu, n[i]);
                    }
                    hs[s + 1] = hNext;
                    ns[s] = n;
                    xhats[s] = xhat;
                    rstds[s] = rstd;
                }

                if (traces is not null)
                {
                    traces[b][t] = new StepTrace
                    {
                        HPrev = (double[])hCur.Clone(),
                        APrev = (double[])a.Clone(),
                        Z = z,
                        Hs = hs,
                        N = ns,
                        XHat = xhats,
                        Rstd = rstds,
                    };
                }

                hCur = hs[steps];
                for (int i = 0; i < h; i++) y[(b * tLen + t) * h + i] = hCur[i];

                // A = λ A + η h hᵀ
                for (int i = 0; i < h; i++)
                    for (int j = 0; j < h; j++)
                        a[i * h + j] = lambda * a[i * h + j] + eta * hCur[i] * hCur[j];
            }

            Array.Copy(hCur, 0, hT, b * h, h);
            Array.Copy(a, 0, aT, b * h * h, h * h);
        }

        return new ReferenceOutputs(y, hT, aT);
    }

    private static void CheckShapes(ReferenceConfig cfg, ReferenceParams p, ReferenceInputs inp)
    {
        cfg.Validate();
        int bsz = cfg.Batch, tLen = cfg.Time, inSz = cfg.Input, h = cfg.Hidden;
        CheckLength(p.W, h * h, "W");
        CheckLength(p.C, h * inSz, "C");
        CheckLength(p.B, h, "B");
        CheckLength(p.LnGain, h, "LnGain");
        CheckLength(p.LnBias, h, "LnBias");
        CheckLength(inp.X, bsz * tLen * inSz, "X");
        CheckLength(inp.H0, bsz * h, "H0");
        CheckLength(inp.A0, bsz * h * h, "A0");
    }

    private static void CheckUpstream(ReferenceConfig cfg, double[] dy, double[]? dhT, double[]? dAT)
    {
        int bsz = cfg.Batch, h = cfg.Hidden;
        CheckLength(dy, bsz * cfg.Time * h, "dy");
        if (dhT is not null) CheckLength(dhT, bsz * h, "dhT");
        if (dAT is not null) CheckLength(dAT, bsz * h * h, "dAT");
    }

    private static void CheckLength(double[] a, int expected, string name)
    {
        ArgumentNullException.ThrowIfNull(a, name);
        if (a.Length != expected)
            throw new ArgumentException($"{name} has length {a.Length}, expected {expected}", name);
    }
}
