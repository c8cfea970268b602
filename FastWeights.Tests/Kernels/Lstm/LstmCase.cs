namespace FastWeights.Tests.Kernels.Lstm;

/// <summary>
/// A complete, deterministic problem for the LSTM reference and kernels: sizes, weights, inputs and the upstream
/// gradients that define the objective L = Σ dy·y + Σ dhT·hT + Σ dcT·cT. Float64, row-major, gates stacked i, f, g, o.
/// </summary>
public sealed class LstmCase
{
    public required int Batch, Time, Input, Hidden;
    public double Eps { get; init; } = 1e-5;
    public required double[] X, H0, C0, WH, WX, B, LnGain, LnBias, CellLnGain, CellLnBias, Dy;
    public double[]? DhT { get; init; }
    public double[]? DcT { get; init; }

    /// <summary>
    /// Deterministic random case (System.Random(seed)): x ~ U(−1,1); W_h ~ U(−1,1)/√H; W_x ~ U(−1,1)/√I;
    /// b, β, β_c ~ U(−0.3,0.3) (b must vary across units or a gate's layer norm would cancel it); γ, γ_c ~ 1 + U(−0.2,0.2);
    /// h0 ~ U(−0.5,0.5); c0 ~ U(−1,1); dy, dhT, dcT ~ U(−1,1). Without state gradients dhT and dcT are null.
    /// </summary>
    public static LstmCase Random(int batch, int time, int input, int hidden, int seed, bool withStateGradients = true)
    {
        var rng = new Random(seed);
        double[] U(int n, double lo, double hi) => Uniform.Draw(rng, n, lo, hi);
        int g4 = 4 * hidden;
        var x = U(batch * time * input, -1, 1);
        var wh = Uniform.Weights(rng, g4, hidden);
        var wx = Uniform.Weights(rng, g4, input);
        var b = U(g4, -0.3, 0.3);
        var gain = U(g4, 0.8, 1.2);
        var beta = U(g4, -0.3, 0.3);
        var cellGain = U(hidden, 0.8, 1.2);
        var cellBeta = U(hidden, -0.3, 0.3);
        var h0 = U(batch * hidden, -0.5, 0.5);
        var c0 = U(batch * hidden, -1, 1);
        var dy = U(batch * time * hidden, -1, 1);
        var dhT = U(batch * hidden, -1, 1);
        var dcT = U(batch * hidden, -1, 1);
        return new LstmCase
        {
            Batch = batch, Time = time, Input = input, Hidden = hidden,
            X = x, H0 = h0, C0 = c0, WH = wh, WX = wx, B = b, LnGain = gain, LnBias = beta,
            CellLnGain = cellGain, CellLnBias = cellBeta, Dy = dy,
            DhT = withStateGradients ? dhT : null, DcT = withStateGradients ? dcT : null,
        };
    }

    /// <summary>Every differentiable input by name (the same arrays, not copies): what finite differences perturb.</summary>
    public IEnumerable<(string Name, double[] Values)> Differentiable()
    {
        yield return ("x", X);
        yield return ("h0", H0);
        yield return ("c0", C0);
        yield return ("WH", WH);
        yield return ("WX", WX);
        yield return ("B", B);
        yield return ("LnGain", LnGain);
        yield return ("LnBias", LnBias);
        yield return ("CellLnGain", CellLnGain);
        yield return ("CellLnBias", CellLnBias);
    }

    /// <summary>A copy with steps [from, from + count) of x and dy, the given initial state and final-state gradients.</summary>
    public LstmCase Window(int from, int count, double[] h0, double[] c0, double[]? dhT, double[]? dcT) => new()
    {
        Batch = Batch, Time = count, Input = Input, Hidden = Hidden, Eps = Eps,
        X = Slice(X, Input, from, count), H0 = h0, C0 = c0,
        WH = WH, WX = WX, B = B, LnGain = LnGain, LnBias = LnBias, CellLnGain = CellLnGain, CellLnBias = CellLnBias,
        Dy = Slice(Dy, Hidden, from, count), DhT = dhT, DcT = dcT,
    };

    private double[] Slice(double[] a, int width, int from, int count) => TimeWindows.Slice(a, Batch, Time, width, from, count);
}
