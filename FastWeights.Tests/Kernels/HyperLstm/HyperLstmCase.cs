namespace FastWeights.Tests.Kernels.HyperLstm;

/// <summary>
/// A complete, deterministic HyperLSTM problem: sizes, every weight and input by name, and the upstream gradients
/// that define L = Σ dy·y + Σ dhT·hT + Σ dcT·cT + Σ dĥT·ĥT + Σ dĉT·ĉT. Float64, row-major, gates stacked i, f, g, o.
/// Names follow <c>HyperLstmParameters</c>; the states are x, h0, c0, hh0 (ĥ0), hc0 (ĉ0).
/// </summary>
public sealed class HyperLstmCase
{
    public required int Batch, Time, Input, Hidden, HyperHidden, Embedding;
    public double Eps { get; init; } = 1e-5;

    /// <summary>Weights and inputs by name (the arrays finite differences perturb).</summary>
    public required Dictionary<string, double[]> Values { get; init; }

    /// <summary>dL/dy [B,T,H] and the optional state gradients by name (dhT, dcT, dhhT, dhcT).</summary>
    public required double[] Dy { get; init; }

    public Dictionary<string, double[]> StateGradients { get; init; } = new();

    public double[] this[string name] => Values[name];

    /// <summary>The differentiable names, inputs first, in the order the kernels' gradients are compared.</summary>
    public static readonly string[] Names =
    [
        "x", "h0", "c0", "hh0", "hc0",
        "WH", "WX", "B", "LnGain", "LnBias", "CellLnGain", "CellLnBias",
        "HyperWH", "HyperWHMain", "HyperWX", "HyperB", "HyperLnGain", "HyperLnBias", "HyperCellLnGain", "HyperCellLnBias",
        "WZ", "BZ", "WD",
    ];

    /// <summary>Element count of each named tensor.</summary>
    public int Length(string name)
    {
        int B = Batch, T = Time, I = Input, H = Hidden, N = HyperHidden, Z = Embedding;
        return name switch
        {
            "x" => B * T * I,
            "h0" or "c0" => B * H,
            "hh0" or "hc0" => B * N,
            "WH" => 4 * H * H,
            "WX" => 4 * H * I,
            "B" or "LnGain" or "LnBias" => 4 * H,
            "CellLnGain" or "CellLnBias" => H,
            "HyperWH" => 4 * N * N,
            "HyperWHMain" => 4 * N * H,
            "HyperWX" => 4 * N * I,
            "HyperB" or "HyperLnGain" or "HyperLnBias" => 4 * N,
            "HyperCellLnGain" or "HyperCellLnBias" => N,
            "WZ" => 12 * Z * N,
            "BZ" => 8 * Z,
            "WD" => 12 * H * Z,
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
        };
    }

    /// <summary>
    /// Deterministic random case (System.Random(seed)). Matrices ~ U(−1,1)/√fan-in; biases and LN shifts ~ U(−0.3,0.3);
    /// LN gains ~ U(0.8,1.2); states ~ U(−0.5,0.5); upstream gradients ~ U(−1,1). Without state gradients only dy is set.
    /// </summary>
    public static HyperLstmCase Random(int batch, int time, int input, int hidden, int hyperHidden, int embedding, int seed,
        bool withStateGradients = true)
    {
        var shell = new HyperLstmCase
        {
            Batch = batch, Time = time, Input = input, Hidden = hidden, HyperHidden = hyperHidden, Embedding = embedding,
            Values = new(), Dy = [],
        };
        var rng = new Random(seed);
        double[] U(int n, double lo, double hi) => Uniform.Draw(rng, n, lo, hi);
        int fanIn(string name) => name switch
        {
            "WH" or "HyperWHMain" => hidden,
            "WX" or "HyperWX" => input,
            "HyperWH" or "WZ" => hyperHidden,
            "WD" => embedding,
            _ => 1,
        };
        var values = new Dictionary<string, double[]>();
        foreach (var name in Names)
        {
            int n = shell.Length(name);
            values[name] = name switch
            {
                _ when name.Contains("LnGain") => U(n, 0.8, 1.2),
                _ when name.StartsWith('W') || name.StartsWith("HyperW") => Uniform.Weights(rng, n / fanIn(name), fanIn(name)),
                "x" => U(n, -1, 1),
                "h0" or "c0" or "hh0" or "hc0" => U(n, -0.5, 0.5),
                _ => U(n, -0.3, 0.3),
            };
        }
        var dy = U(batch * time * hidden, -1, 1);
        var states = new Dictionary<string, double[]>
        {
            ["dhT"] = U(batch * hidden, -1, 1), ["dcT"] = U(batch * hidden, -1, 1),
            ["dhhT"] = U(batch * hyperHidden, -1, 1), ["dhcT"] = U(batch * hyperHidden, -1, 1),
        };
        return new HyperLstmCase
        {
            Batch = batch, Time = time, Input = input, Hidden = hidden, HyperHidden = hyperHidden, Embedding = embedding,
            Values = values, Dy = dy, StateGradients = withStateGradients ? states : new(),
        };
    }
}
