namespace FastWeights.Tests.Kernels.Gru;

/// <summary>
/// A complete, deterministic problem for the GRU-LN reference and kernels: sizes, weights, inputs and the upstream
/// gradients that define the objective L = Σ dy·y + Σ dhT·hT. Float64, row-major, row blocks r, u, n.
/// </summary>
public sealed class GruCase
{
    public required int Batch, Time, Input, Hidden;
    public double Eps { get; init; } = 1e-5;
    public required double[] X, H0, WH, WX, InputLnGain, InputLnBias, RecurrentLnGain, RecurrentLnBias, Dy;
    public double[]? DhT { get; init; }

    /// <summary>
    /// Deterministic random case (System.Random(seed)): x ~ U(−1,1); W_h ~ U(−1,1)/√H; W_x ~ U(−1,1)/√I;
    /// γ_x, γ_h ~ 1 + U(−0.2,0.2); β_x, β_h ~ U(−0.3,0.3); h0 ~ U(−0.5,0.5); dy, dhT ~ U(−1,1).
    /// Without state gradients dhT is null.
    /// </summary>
    public static GruCase Random(int batch, int time, int input, int hidden, int seed, bool withStateGradients = true)
    {
        var rng = new Random(seed);
        double[] U(int n, double lo, double hi) => Uniform.Draw(rng, n, lo, hi);
        int g3 = 3 * hidden;
        var x = U(batch * time * input, -1, 1);
        var wh = Uniform.Weights(rng, g3, hidden);
        var wx = Uniform.Weights(rng, g3, input);
        var inputGain = U(g3, 0.8, 1.2);
        var inputBias = U(g3, -0.3, 0.3);
        var recurrentGain = U(g3, 0.8, 1.2);
        var recurrentBias = U(g3, -0.3, 0.3);
        var h0 = U(batch * hidden, -0.5, 0.5);
        var dy = U(batch * time * hidden, -1, 1);
        var dhT = U(batch * hidden, -1, 1);
        return new GruCase
        {
            Batch = batch, Time = time, Input = input, Hidden = hidden,
            X = x, H0 = h0, WH = wh, WX = wx, InputLnGain = inputGain, InputLnBias = inputBias,
            RecurrentLnGain = recurrentGain, RecurrentLnBias = recurrentBias, Dy = dy,
            DhT = withStateGradients ? dhT : null,
        };
    }

    /// <summary>Every differentiable input by name (the same arrays, not copies): what finite differences perturb.</summary>
    public IEnumerable<(string Name, double[] Values)> Differentiable()
    {
        yield return ("x", X);
        yield return ("h0", H0);
        yield return ("WH", WH);
        yield return ("WX", WX);
        yield return ("InputLnGain", InputLnGain);
        yield return ("InputLnBias", InputLnBias);
        yield return ("RecurrentLnGain", RecurrentLnGain);
        yield return ("RecurrentLnBias", RecurrentLnBias);
    }

    /// <summary>A copy with steps [from, from + count) of x and dy, the given initial state and final-state gradient.</summary>
    public GruCase Window(int from, int count, double[] h0, double[]? dhT) => new()
    {
        Batch = Batch, Time = count, Input = Input, Hidden = Hidden, Eps = Eps,
        X = Slice(X, Input, from, count), H0 = h0, WH = WH, WX = WX,
        InputLnGain = InputLnGain, InputLnBias = InputLnBias, RecurrentLnGain = RecurrentLnGain, RecurrentLnBias = RecurrentLnBias,
        Dy = Slice(Dy, Hidden, from, count), DhT = dhT,
    };

    private double[] Slice(double[] a, int width, int from, int count) => TimeWindows.Slice(a, Batch, Time, width, from, count);
}
