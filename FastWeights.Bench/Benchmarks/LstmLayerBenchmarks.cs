using BenchmarkDotNet.Attributes;
using FastWeights.Kernels.Core;
using FastWeights.Kernels.Gru;
using FastWeights.Kernels.HyperLstm;
using FastWeights.Kernels.Lstm;
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
public class LstmLayerBenchmarks
{
    /// <summary>N_h of the HyperLSTM cases.</summary>
    public const int HyperHidden = 16;

    /// <summary>N_z of the HyperLSTM cases.</summary>
    public const int Embedding = 4;

    private ComputeDevice? device;
    private AcceleratorStream? stream;
    private readonly List<MemoryBuffer1D<float, Stride1D.Dense>> buffers = new();
    private Action? forward, backward, dispose;

    /// <summary>cpu or cuda: this run's accelerator (one value per run).</summary>
    [ParamsSource(nameof(Accelerators))]
    public string Accelerator { get; set; } = KernelBenchmarkEnvironment.Cpu;

    /// <summary>LstmLn, HyperLstm or GruLn.</summary>
    [ParamsSource(nameof(Variants))]
    public string Variant { get; set; } = "LstmLn";

    /// <summary>Batch size.</summary>
    [ParamsSource(nameof(Batches))]
    public int B { get; set; } = 8;

    /// <summary>Sequence length.</summary>
    [ParamsSource(nameof(Times))]
    public int T { get; set; } = 16;

    /// <summary>Input width.</summary>
    [ParamsSource(nameof(Inputs))]
    public int I { get; set; } = KernelBenchmarkGrid.Input;

    /// <summary>Hidden size.</summary>
    [ParamsSource(nameof(Hiddens))]
    public int H { get; set; } = 32;

    /// <summary>Always 1 (see the remarks).</summary>
    [ParamsSource(nameof(InnerSteps))]
    public int S { get; set; } = 1;

    public static IEnumerable<string> Accelerators => [KernelBenchmarkEnvironment.Current];

    public static IEnumerable<string> Variants => ["LstmLn", "HyperLstm", "GruLn"];

    public static IEnumerable<int> Batches => KernelBenchmarkGrid.Current.Batches;

    public static IEnumerable<int> Times => KernelBenchmarkGrid.Current.Times;

    public static IEnumerable<int> Inputs => [KernelBenchmarkGrid.Input];

    public static IEnumerable<int> Hiddens => KernelBenchmarkGrid.Current.Hiddens;

    public static IEnumerable<int> InnerSteps => [1];

    /// <summary>
    /// What this case allocates: the layer's workspace (its size function) plus x, dx [B,T,I], y, dy [B,T,H], the final
    /// state [B,H] (two for the LSTM, four at most) and the parameters with their gradients (at most 2·(4H·(H + I) + 20H)
    /// floats, the HyperLSTM's hyper cell's own within that bound at N_h ≤ H).
    /// </summary>
    internal long CaseBytes()
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

    [GlobalSetup]
    public void GlobalSetup()
    {
        GlobalCleanup();
        try
        {
            device = KernelBenchmarkEnvironment.Open(Accelerator);
            CaseMemory.Require(device, CaseBytes(), $"the case {Variant} B={B} T={T} I={I} H={H}");
            stream = device.Accelerator.DefaultStream;
            long bytes = Variant switch
            {
                "LstmLn" => SetUpLstm(device.Accelerator),
                "HyperLstm" => SetUpHyperLstm(device.Accelerator),
                "GruLn" => SetUpGru(device.Accelerator),
                _ => throw new ArgumentException($"unknown variant '{Variant}'; expected LstmLn, HyperLstm or GruLn."),
            };
            DeviceBytesColumn.Record(typeof(LstmLayerBenchmarks),
                [("Accelerator", Accelerator), ("Variant", Variant), ("B", B), ("T", T), ("I", I), ("H", H), ("S", S)], bytes);
            forward!();
            backward!();
            stream.Synchronize();
        }
        catch (Exception e)
        {
            GlobalCleanup();
            throw new InvalidOperationException($"setup of {Variant} at B={B} T={T} I={I} H={H} on {Accelerator} failed: {e.Message}", e);
        }
    }

    /// <summary>One forward, waited for.</summary>
    [Benchmark]
    public void Forward()
    {
        forward!();
        stream!.Synchronize();
    }

    /// <summary>One forward and one backward, waited for once.</summary>
    [Benchmark]
    public void TrainingStep()
    {
        forward!();
        backward!();
        stream!.Synchronize();
    }

    private ArrayView<float> Random(Accelerator accelerator, Random rng, long n, float scale, float shift = 0f)
    {
        var data = new float[n];
        for (long k = 0; k < n; k++) data[k] = shift + scale * (2 * rng.NextSingle() - 1);
        var buffer = accelerator.Allocate1D(data);
        buffers.Add(buffer);
        return buffer.View;
    }

    private ArrayView<float> Zeros(Accelerator accelerator, long n)
    {
        var buffer = accelerator.Allocate1D<float>(n);
        buffers.Add(buffer);
        return buffer.View;
    }

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
        forward = () => layer.Forward(stream!, ws, y, hT, cT, x, default, default, p, B, T);
        backward = () => layer.Backward(stream!, ws, dx, default, default, g, dy, default, default, x, p, B, T);
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
        forward = () => layer.Forward(stream!, ws, y, hT, x, default, p, B, T);
        backward = () => layer.Backward(stream!, ws, dx, default, g, dy, default, x, p, B, T);
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
        forward = () => layer.Forward(stream!, ws, y, final, x, default, p, B, T);
        backward = () => layer.Backward(stream!, ws, dx, default, g, dy, default, x, p, B, T);
        dispose = () => { ws.Dispose(); layer.Dispose(); };
        return ws.AllocatedBytes;
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        dispose?.Invoke();
        dispose = null;
        forward = null;
        backward = null;
        foreach (var b in buffers) b.Dispose();
        buffers.Clear();
        stream = null;
        device?.Dispose();
        device = null;
    }
}
