using BenchmarkDotNet.Attributes;
using FastWeights.Kernels.Core;
using FastWeights.Kernels.Gru;
using FastWeights.Kernels.HyperLstm;
using FastWeights.Kernels.Lstm;
using FastWeights.Model.Ops;
using ILGPU;
using ILGPU.Runtime;

namespace FastWeights.Bench.Benchmarks;

/// <summary>
/// Forward and a training step (forward + backward) of the gated baselines beside the fast-weight layer: the
/// layer-normalised LSTM (<c>LstmLn</c>), the HyperLSTM (<c>HyperLstm</c>, N_h = 16, N_z = 4) and the layer-normalised
/// GRU (<c>GruLn</c>), over the same (B, T, H) grid and I as <see cref="FastWeightLayerBenchmarks"/> (docs/lstm.md,
/// docs/gru.md).
/// </summary>
/// <remarks>
/// No backward-only method: a HyperLSTM backward consumes its forward's tape (docs/lstm.md §8.4), so it cannot be
/// repeated alone. S is fixed at 1 (these layers have no inner steps); it is a parameter so the "Device bytes" column
/// identifies these cases the same way as the fast-weight suite's.
/// </remarks>
public class LstmLayerBenchmarks : KernelGridBenchmark
{
    /// <summary>N_h of the HyperLSTM cases.</summary>
    public const int HyperHidden = 16;

    /// <summary>N_z of the HyperLSTM cases.</summary>
    public const int Embedding = 4;

    private ActivationBuffers buffers = new();
    private Action? forward, backward, dispose;

    /// <summary>A suite at its defaults (BenchmarkDotNet sets every parameter of a case).</summary>
    public LstmLayerBenchmarks()
        : base(typeof(LstmLayerBenchmarks), "LstmLn")
    {
    }

    /// <summary>The values of Variant: LstmLn, HyperLstm or GruLn.</summary>
    public static IEnumerable<string> Variants => ["LstmLn", "HyperLstm", "GruLn"];

    /// <summary>The values of S: always 1 (see the remarks).</summary>
    public static IEnumerable<int> InnerSteps => [1];

    /// <summary>
    /// What this case allocates: the layer's workspace (its size function) plus x, dx [B,T,I], y, dy [B,T,H], the final
    /// state [B,H] (two for the LSTM, four at most) and the parameters with their gradients (at most 2·(4H·(H + I) + 20H)
    /// floats, the HyperLSTM's hyper cell's own within that bound at N_h ≤ H).
    /// </summary>
    internal override long CaseBytes()
    {
        long b = B, t = T, i = I, h = H;
        long tensors = CaseMemory.Floats(2 * b * t * i + 2 * b * t * h + 4 * b * h + 2 * (8 * h * (h + i) + 40 * h));
        long workspace = Variant switch
        {
            "LstmLn" => FastWeights.Kernels.Lstm.LstmLayer.WorkspaceBytes(B, T, I, H),
            "HyperLstm" => FastWeights.Kernels.HyperLstm.HyperLstmLayer.WorkspaceBytes(B, T, I, H, HyperHidden, Embedding),
            "GruLn" => FastWeights.Kernels.Gru.GruLayer.WorkspaceBytes(B, T, I, H),
            _ => 0,
        };
        return CaseMemory.Add(tensors, workspace);
    }

    private protected override string CaseSizes => $"B={B} T={T} I={I} H={H}";

    private protected override long SetUp(Accelerator accelerator) => Variant switch
    {
        "LstmLn" => SetUpLstm(accelerator),
        "HyperLstm" => SetUpHyperLstm(accelerator),
        "GruLn" => SetUpGru(accelerator),
        _ => throw new ArgumentException($"unknown variant '{Variant}'; expected LstmLn, HyperLstm or GruLn."),
    };

    private protected override void WarmUp()
    {
        forward!();
        backward!();
        Stream!.Synchronize();
    }

    /// <summary>One forward, waited for.</summary>
    [Benchmark]
    public void Forward()
    {
        forward!();
        Stream!.Synchronize();
    }

    /// <summary>One forward and one backward, waited for once.</summary>
    [Benchmark]
    public void TrainingStep()
    {
        forward!();
        backward!();
        Stream!.Synchronize();
    }

    private ArrayView<float> Random(Accelerator accelerator, Random rng, long n, float scale, float shift = 0f)
    {
        var data = new float[n];
        for (long k = 0; k < n; k++) data[k] = shift + scale * (2 * rng.NextSingle() - 1);
        return buffers.Upload(accelerator, data);
    }

    private ArrayView<float> Zeros(Accelerator accelerator, long n) => buffers.Float(accelerator, n);

    private long SetUpLstm(Accelerator accelerator)
    {
        var rng = new Random(1);
        long G = 4L * H;
        var p = new LstmParameters(Random(accelerator, rng, G * H, 1f / MathF.Sqrt(H)), Random(accelerator, rng, G * I, 1f / MathF.Sqrt(I)),
            Random(accelerator, rng, G, 0.1f), Random(accelerator, rng, G, 0.1f, 1f), Random(accelerator, rng, G, 0.1f),
            Random(accelerator, rng, H, 0.1f, 1f), Random(accelerator, rng, H, 0.1f));
        var g = new LstmParameterGradients(Zeros(accelerator, G * H), Zeros(accelerator, G * I), Zeros(accelerator, G), Zeros(accelerator, G),
            Zeros(accelerator, G), Zeros(accelerator, H), Zeros(accelerator, H));
        var x = Random(accelerator, rng, (long)B * T * I, 1f);
        var dy = Random(accelerator, rng, (long)B * T * H, 1f);
        var y = Zeros(accelerator, (long)B * T * H);
        var hT = Zeros(accelerator, (long)B * H);
        var cT = Zeros(accelerator, (long)B * H);
        var dx = Zeros(accelerator, (long)B * T * I);
        var layer = new LstmLayer(accelerator, new LstmOptions { InputSize = I, HiddenSize = H });
        var ws = layer.CreateWorkspace(B, T);
        forward = () => layer.Forward(Stream!, ws, y, hT, cT, x, default, default, p, B, T);
        backward = () => layer.Backward(Stream!, ws, dx, default, default, g, dy, default, default, x, p, B, T);
        dispose = () => { ws.Dispose(); layer.Dispose(); };
        return ws.AllocatedBytes;
    }

    private long SetUpGru(Accelerator accelerator)
    {
        var rng = new Random(1);
        long G = 3L * H;
        var p = new GruParameters(Random(accelerator, rng, G * H, 1f / MathF.Sqrt(H)), Random(accelerator, rng, G * I, 1f / MathF.Sqrt(I)),
            Random(accelerator, rng, G, 0.1f, 1f), Random(accelerator, rng, G, 0.1f), Random(accelerator, rng, G, 0.1f, 1f), Random(accelerator, rng, G, 0.1f));
        var g = new GruParameterGradients(Zeros(accelerator, G * H), Zeros(accelerator, G * I), Zeros(accelerator, G), Zeros(accelerator, G),
            Zeros(accelerator, G), Zeros(accelerator, G));
        var x = Random(accelerator, rng, (long)B * T * I, 1f);
        var dy = Random(accelerator, rng, (long)B * T * H, 1f);
        var y = Zeros(accelerator, (long)B * T * H);
        var hT = Zeros(accelerator, (long)B * H);
        var dx = Zeros(accelerator, (long)B * T * I);
        var layer = new GruLayer(accelerator, new GruOptions { InputSize = I, HiddenSize = H });
        var ws = layer.CreateWorkspace(B, T);
        forward = () => layer.Forward(Stream!, ws, y, hT, x, default, p, B, T);
        backward = () => layer.Backward(Stream!, ws, dx, default, g, dy, default, x, p, B, T);
        dispose = () => { ws.Dispose(); layer.Dispose(); };
        return ws.AllocatedBytes;
    }

    private long SetUpHyperLstm(Accelerator accelerator)
    {
        var rng = new Random(1);
        long G = 4L * H, N = HyperHidden, Z = Embedding;
        var shapes = new (long Length, float Scale, float Shift)[]
        {
            (G * H, 1f / MathF.Sqrt(H), 0f), (G * I, 1f / MathF.Sqrt(I), 0f), (G, 0.1f, 0f), (G, 0.1f, 1f), (G, 0.1f, 0f), (H, 0.1f, 1f), (H, 0.1f, 0f),
            (4 * N * N, 1f / MathF.Sqrt(N), 0f), (4 * N * H, 1f / MathF.Sqrt(H), 0f), (4 * N * I, 1f / MathF.Sqrt(I), 0f), (4 * N, 0.1f, 0f),
            (4 * N, 0.1f, 1f), (4 * N, 0.1f, 0f), (N, 0.1f, 1f), (N, 0.1f, 0f),
            (12 * Z * N, 0.01f, 0f), (8 * Z, 0.1f, 1f), (12L * H * Z, 0.1f / Z, 1f / Z),
        };
        var v = shapes.Select(s => Random(accelerator, rng, s.Length, s.Scale, s.Shift)).ToArray();
        var d = shapes.Select(s => Zeros(accelerator, s.Length)).ToArray();
        var p = new HyperLstmParameters(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15], v[16], v[17]);
        var g = new HyperLstmParameterGradients(d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14], d[15], d[16], d[17]);
        var x = Random(accelerator, rng, (long)B * T * I, 1f);
        var dy = Random(accelerator, rng, (long)B * T * H, 1f);
        var y = Zeros(accelerator, (long)B * T * H);
        var final = new HyperLstmState(Zeros(accelerator, (long)B * H), Zeros(accelerator, (long)B * H), Zeros(accelerator, B * N), Zeros(accelerator, B * N));
        var dx = Zeros(accelerator, (long)B * T * I);
        var layer = new HyperLstmLayer(accelerator, new HyperLstmOptions { InputSize = I, HiddenSize = H, HyperHiddenSize = HyperHidden, EmbeddingSize = Embedding });
        var ws = layer.CreateWorkspace(B, T);
        forward = () => layer.Forward(Stream!, ws, y, final, x, default, p, B, T);
        backward = () => layer.Backward(Stream!, ws, dx, default, g, dy, default, x, p, B, T);
        dispose = () => { ws.Dispose(); layer.Dispose(); };
        return ws.AllocatedBytes;
    }

    private protected override void Release()
    {
        dispose?.Invoke();
        dispose = null;
        forward = null;
        backward = null;
        buffers.Dispose();
        buffers = new();
    }
}
