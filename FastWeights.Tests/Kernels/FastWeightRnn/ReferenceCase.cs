namespace FastWeights.Tests.Kernels.FastWeightRnn;

/// <summary>
/// A complete, deterministic problem for the reference layer: config, parameters, inputs and the
/// upstream gradients that define the objective Σ dy·y + Σ dhT·hT + Σ dAT·AT.
/// </summary>
public sealed class ReferenceCase
{
    public ReferenceConfig Config { get; }
    public ReferenceParams Params { get; }
    public ReferenceInputs Inputs { get; }
    public double[] Dy { get; }
    public double[]? DhT { get; }
    public double[]? DAT { get; }

    public ReferenceCase(ReferenceConfig config, ReferenceParams parameters, ReferenceInputs inputs,
        double[] dy, double[]? dhT, double[]? dAT)
    {
        Config = config;
        Params = parameters;
        Inputs = inputs;
        Dy = dy;
        DhT = dhT;
        DAT = dAT;
    }

    /// <summary>What the kernels are compared with: the float64 reference forward of this case, then its backward.</summary>
    public (ReferenceOutputs Forward, ReferenceGradients Backward) Reference() =>
        (FastWeightRnnReference.Forward(Config, Params, Inputs), FastWeightRnnReference.Backward(Config, Params, Inputs, Dy, DhT, DAT));

    /// <summary>
    /// Deterministic random case from <paramref name="seed"/> (System.Random(seed)), scaled so every path
    /// is exercised: x ~ U(−1,1); W ~ U(−1,1)/√H; C ~ U(−1,1)/√I; b ~ U(−0.1,0.1); LnGain ~ 1 + U(−0.2,0.2);
    /// LnBias ~ U(−0.1,0.1); h0 ~ U(−0.5,0.5); A0 ~ U(−0.1,0.1) (not symmetric); dy, dhT, dAT ~ U(−1,1).
    /// Without state gradients dhT and dAT are null; with a zero initial state h0 and A0 are all zero.
    /// </summary>
    public static ReferenceCase Random(ReferenceConfig cfg, int seed, bool withStateGradients = true,
        bool zeroInitialState = false)
    {
        cfg.Validate();
        var rng = new System.Random(seed);
        int bsz = cfg.Batch, t = cfg.Time, i = cfg.Input, h = cfg.Hidden;

        double[] Uniform(int n, double lo, double hi) => Support.Uniform.Draw(rng, n, lo, hi);

        double[] Scaled(double[] a, double scale, double shift)
        {
            for (int k = 0; k < a.Length; k++) a[k] = shift + scale * a[k];
            return a;
        }

        // Draw order is fixed (and every array is always drawn) so a seed means the same thing
        // regardless of the flags.
        var x = Uniform(bsz * t * i, -1.0, 1.0);
        var w = Scaled(Uniform(h * h, -1.0, 1.0), 1.0 / Math.Sqrt(h), 0.0);
        var c = Scaled(Uniform(h * i, -1.0, 1.0), 1.0 / Math.Sqrt(i), 0.0);
        var b = Uniform(h, -0.1, 0.1);
        var gain = Scaled(Uniform(h, -0.2, 0.2), 1.0, 1.0);
        var beta = Uniform(h, -0.1, 0.1);
        var h0 = Uniform(bsz * h, -0.5, 0.5);
        var a0 = Uniform(bsz * h * h, -0.1, 0.1);
        var dy = Uniform(bsz * t * h, -1.0, 1.0);
        var dhT = Uniform(bsz * h, -1.0, 1.0);
        var dAT = Uniform(bsz * h * h, -1.0, 1.0);

        if (zeroInitialState)
        {
            Array.Clear(h0);
            Array.Clear(a0);
        }

        return new ReferenceCase(cfg,
            new ReferenceParams(w, c, b, gain, beta),
            new ReferenceInputs(x, h0, a0),
            dy,
            withStateGradients ? dhT : null,
            withStateGradients ? dAT : null);
    }
}
