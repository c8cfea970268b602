using FastWeights.Kernels.LinearFastWeights;
using FastWeights.Tests.Kernels.LinearFastWeights;
using FastWeights.Tests.Model.Ops;

namespace FastWeights.Tests.Model.Layers;

/// <summary>Sizes and choices of a DPFP block for the float64 reference.</summary>
public sealed record DpfpBlockShape(int Batch, int Time, int Width, int Heads, int KeySize, int ValueSize, int FeedForward,
    FeatureMap Map, UpdateRule Rule)
{
    /// <summary>N = B·T rows.</summary>
    public int Rows => Batch * Time;

    /// <inheritdoc/>
    public override string ToString() => $"B{Batch}_T{Time}_D{Width}_H{Heads}_d{KeySize}_m{ValueSize}_F{FeedForward}_{Map}_{Rule}";
}

/// <summary>
/// The DPFP block (FastWeights.Model.Layers.DpfpBlock) in float64, composed from <see cref="OpReferences"/> and
/// <see cref="LinearFastWeightReference"/>: h = x + Out(Memory(Q(a), K(a), V(a), β(a))) with a = LN₁(x), and
/// out = h + FF₂(ReLU(FF₁(LN₂(h)))). Parameters are named as the module names them without its prefix
/// (<c>ln1.gain</c>, <c>attn.q.weight</c>, …) and listed in the module's order.
/// </summary>
public static class DpfpBlockReference
{
    private const double LayerNormEpsilon = 1e-5;

    /// <summary>(name, [Out,In] or [D]) of every parameter, in the module's order.</summary>
    public static IEnumerable<(string Name, int Length)> Parameters(DpfpBlockShape s)
    {
        int D = s.Width, H = s.Heads, d = s.KeySize, m = s.ValueSize, F = s.FeedForward;
        yield return ("ln1.gain", D);
        yield return ("ln1.bias", D);
        foreach (var (name, outputs) in Projections(s))
        {
            int inputs = name == "attn.out" ? H * m : D;
            yield return (name + ".weight", outputs * inputs);
            yield return (name + ".bias", outputs);
        }
        yield return ("ln2.gain", D);
        yield return ("ln2.bias", D);
        yield return ("ff1.weight", F * D);
        yield return ("ff1.bias", F);
        yield return ("ff2.weight", D * F);
        yield return ("ff2.bias", D);
    }

    private static IEnumerable<(string Name, int Outputs)> Projections(DpfpBlockShape s)
    {
        yield return ("attn.q", s.Heads * s.KeySize);
        yield return ("attn.k", s.Heads * s.KeySize);
        yield return ("attn.v", s.Heads * s.ValueSize);
        if (s.Rule == UpdateRule.Delta) yield return ("attn.beta", s.Heads);
        yield return ("attn.out", s.Width);
    }

    /// <summary>
    /// The random problem the block's kernel and reference-gradient tests draw from System.Random(<paramref name="seed"/>),
    /// in this order: <see cref="RandomParameters"/>, then x and the upstream gradient dOut [rows, width] ~ U(−1,1).
    /// </summary>
    public static (Dictionary<string, double[]> Parameters, double[] X, double[] DOut) RandomProblem(DpfpBlockShape s, int seed)
    {
        var rng = new Random(seed);
        return (RandomParameters(s, rng), OpTestData.Uniform64(rng, s.Rows * s.Width, 1.0), OpTestData.Uniform64(rng, s.Rows * s.Width, 1.0));
    }

    /// <summary>Random parameters: gains U(0.5,1.5), everything else U(−b, b) with b = 1/√fan_in (biases U(−0.5,0.5)·b·2).</summary>
    public static Dictionary<string, double[]> RandomParameters(DpfpBlockShape s, Random rng)
    {
        var p = new Dictionary<string, double[]>();
        foreach (var (name, length) in Parameters(s))
        {
            var values = new double[length];
            for (int i = 0; i < length; i++)
                values[i] = name.EndsWith(".gain") ? 0.5 + rng.NextDouble() : (2 * rng.NextDouble() - 1) * 0.8;
            p[name] = values;
        }
        return p;
    }

    /// <summary>Every intermediate of one forward, for the backward.</summary>
    public sealed class Activations
    {
        /// <summary>LN₁(x), q, k, v, β (null for the sum rule), memory output, attention output.</summary>
        public required double[] A, Q, K, V, Y, Attended;
        /// <summary>β logits (delta rule) or null.</summary>
        public double[]? Beta;
        /// <summary>h, LN₂(h), ReLU hidden, FF output, block output.</summary>
        public required double[] H, C, Hidden, Projected, Output;
    }

    /// <summary>The memory's reference case for the projected q, k, v, β, with upstream gradient dy (zeros when null).</summary>
    private static LinearReferenceCase Memory(DpfpBlockShape s, double[] q, double[] k, double[] v, double[]? beta, double[]? dy) => new()
    {
        Config = new LinearReferenceConfig(s.Batch, s.Time, s.Heads, s.KeySize, s.ValueSize, s.Map, s.Rule, Normalize: true),
        Q = q, K = k, V = v, Beta = beta, Dy = dy ?? new double[v.Length],
    };

    private static double[] Dense(Dictionary<string, double[]> p, string name, double[] x, int n, int inputs, int outputs, bool relu = false) =>
        OpReferences.DenseForward(p[name + ".weight"], p[name + ".bias"], x, n, inputs, outputs, relu);

    /// <summary>The block's forward with every intermediate.</summary>
    public static Activations Run(DpfpBlockShape s, Dictionary<string, double[]> p, double[] x)
    {
        int n = s.Rows, D = s.Width, H = s.Heads, d = s.KeySize, m = s.ValueSize, F = s.FeedForward;
        var a = OpReferences.LayerNormForward(p["ln1.gain"], p["ln1.bias"], x, n, D, LayerNormEpsilon);
        var q = Dense(p, "attn.q", a, n, D, H * d);
        var k = Dense(p, "attn.k", a, n, D, H * d);
        var v = Dense(p, "attn.v", a, n, D, H * m);
        var beta = s.Rule == UpdateRule.Delta ? Dense(p, "attn.beta", a, n, D, H) : null;
        var y = LinearFastWeightReference.Forward(Memory(s, q, k, v, beta, null)).Y;
        var attended = Dense(p, "attn.out", y, n, H * m, D);
        var h = OpReferences.Add(x, attended);
        var c = OpReferences.LayerNormForward(p["ln2.gain"], p["ln2.bias"], h, n, D, LayerNormEpsilon);
        var hidden = Dense(p, "ff1", c, n, D, F, relu: true);
        var projected = Dense(p, "ff2", hidden, n, F, D);
        return new Activations
        {
            A = a, Q = q, K = k, V = v, Beta = beta, Y = y, Attended = attended, H = h, C = c, Hidden = hidden,
            Projected = projected, Output = OpReferences.Add(h, projected),
        };
    }

    /// <summary>The block's output [B,T,D].</summary>
    public static double[] Forward(DpfpBlockShape s, Dictionary<string, double[]> p, double[] x) => Run(s, p, x).Output;

    /// <summary>
    /// The chain rule through the block, op by op in reverse, each op's own reference backward: the parameter gradients
    /// by name and dx, for the loss L = ⟨dOutput, output⟩.
    /// </summary>
    public static (Dictionary<string, double[]> Gradients, double[] Dx) Backward(DpfpBlockShape s, Dictionary<string, double[]> p,
        double[] x, double[] dOutput)
    {
        int n = s.Rows, D = s.Width, H = s.Heads, d = s.KeySize, m = s.ValueSize, F = s.FeedForward;
        var act = Run(s, p, x);
        var g = new Dictionary<string, double[]>();
        void Dense(string name, double[] input, double[] output, double[] dy, int inputs, int outputs, bool relu, out double[] dIn)
        {
            var (dW, dB, dX) = OpReferences.DenseBackward(p[name + ".weight"], input, output, dy, n, inputs, outputs, relu);
            g[name + ".weight"] = dW;
            g[name + ".bias"] = dB;
            dIn = dX;
        }

        Dense("ff2", act.Hidden, act.Projected, dOutput, F, D, false, out var dHidden);
        Dense("ff1", act.C, act.Hidden, dHidden, D, F, true, out var dC);
        var (dg2, db2, dHNorm) = OpReferences.LayerNormBackward(p["ln2.gain"], act.H, dC, n, D, LayerNormEpsilon);
        g["ln2.gain"] = dg2;
        g["ln2.bias"] = db2;
        var dH = OpReferences.Add(dOutput, dHNorm);

        Dense("attn.out", act.Y, act.Attended, dH, H * m, D, false, out var dY);
        var mg = LinearFastWeightReference.Backward(Memory(s, act.Q, act.K, act.V, act.Beta, dY));
        Dense("attn.q", act.A, act.Q, mg.DQ, D, H * d, false, out var dA);
        Dense("attn.k", act.A, act.K, mg.DK, D, H * d, false, out var dAk);
        Dense("attn.v", act.A, act.V, mg.DV, D, H * m, false, out var dAv);
        dA = OpReferences.Add(OpReferences.Add(dA, dAk), dAv);
        if (s.Rule == UpdateRule.Delta)
        {
            Dense("attn.beta", act.A, act.Beta!, mg.DBeta!, D, H, false, out var dAb);
            dA = OpReferences.Add(dA, dAb);
        }
        var (dg1, db1, dXNorm) = OpReferences.LayerNormBackward(p["ln1.gain"], x, dA, n, D, LayerNormEpsilon);
        g["ln1.gain"] = dg1;
        g["ln1.bias"] = db1;
        return (g, OpReferences.Add(dH, dXNorm));
    }
}
