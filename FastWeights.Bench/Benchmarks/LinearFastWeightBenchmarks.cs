using BenchmarkDotNet.Attributes;
using FastWeights.Kernels.Core;
using FastWeights.Kernels.LinearFastWeights;
using ILGPU.Runtime;

namespace FastWeights.Bench.Benchmarks;

/// <summary>
/// Forward, backward and a training step of the linear fast-weight memory (<see cref="LinearFastWeightLayer"/>),
/// DPFP-1, normalised, both rules, over the grid of <see cref="LinearBenchmarkGrid"/>. Variants: <c>Fused</c>, the
/// layer as shipped (W rebuilt backwards, only v̄ or y/den stored per step), and <c>StoreAll</c>, the same kernels with
/// <see cref="LinearFastWeightOptions.StoreAll"/>: W stored before every step and read back, as autograd keeps it.
/// </summary>
/// <remarks>The setup runs one forward and one backward, so kernels are compiled and a tape is in place before
/// anything is measured; each method waits for the stream.</remarks>
public class LinearFastWeightBenchmarks : DeviceBenchmark
{
    private LinearFastWeightLayer? layer;
    private LinearFastWeightWorkspace? workspace;
    private LinearBenchmarkTensors? tensors;

    /// <summary>A suite at its defaults (BenchmarkDotNet sets every parameter of a case).</summary>
    public LinearFastWeightBenchmarks()
        : base(typeof(LinearFastWeightBenchmarks))
    {
    }

    /// <inheritdoc/>
    [ParamsSource(nameof(Accelerators))]
    public override string Accelerator { get; set; } = KernelBenchmarkEnvironment.Cpu;

    /// <summary>Fused (rebuild, compensated sums: the default options), Plain (rebuild, <see cref="LinearFastWeightOptions.CompensatedSums"/>
    /// off) or StoreAll (W stored per step, compensated).</summary>
    [Params("Fused", "Plain", "StoreAll")]
    public string Variant { get; set; } = "Fused";

    /// <summary>The write rule.</summary>
    [Params(UpdateRule.Delta, UpdateRule.Sum)]
    public UpdateRule Rule { get; set; } = UpdateRule.Delta;

    /// <summary>Batch size.</summary>
    [ParamsSource(nameof(Batches))]
    public int B { get; set; } = 8;

    /// <summary>Sequence length.</summary>
    [ParamsSource(nameof(Times))]
    public int T { get; set; } = 64;

    /// <summary>The values of <see cref="B"/> for this run's accelerator.</summary>
    public static IEnumerable<int> Batches => LinearBenchmarkGrid.Current.Batches;

    /// <summary>The values of <see cref="T"/> for this run's accelerator.</summary>
    public static IEnumerable<int> Times => LinearBenchmarkGrid.Current.Times;

    /// <summary>The options of the case.</summary>
    internal LinearFastWeightOptions Options
    {
        get
        {
            var g = LinearBenchmarkGrid.For(Accelerator);
            return new LinearFastWeightOptions
            {
                Heads = g.Heads, KeySize = g.KeySize, ValueSize = g.ValueSize, FeatureMap = FeatureMap.Dpfp1, Rule = Rule,
                Normalize = true, StoreAll = Variant switch
                {
                    "Fused" or "Plain" => false,
                    "StoreAll" => true,
                    _ => throw new ArgumentException($"unknown variant '{Variant}'; expected Fused, Plain or StoreAll."),
                },
                CompensatedSums = Variant != "Plain",
            };
        }
    }

    /// <summary>
    /// What a case allocates: the layer's workspace (<see cref="LinearFastWeightLayer.WorkspaceBytes(LinearFastWeightOptions, int, int)"/>)
    /// plus <see cref="LinearBenchmarkTensors"/> (q, k, dq, dk; v, dy, y, dv; β, dβ; W_T, dW0; z_T, dz0).
    /// </summary>
    internal static long CaseBytes(LinearFastWeightOptions options, int batch, int time)
    {
        long rows = (long)batch * time * options.Heads;
        long keys = rows * options.KeySize, values = rows * options.ValueSize;
        long memory = (long)batch * options.Heads * options.ValueSize * options.FeatureSize();
        long normalizer = (long)batch * options.Heads * options.FeatureSize();
        long tensors = CaseMemory.Floats(4 * keys + 4 * values + 2 * rows + 2 * memory + 2 * normalizer);
        return CaseMemory.Add(tensors, LinearFastWeightLayer.WorkspaceBytes(options, batch, time));
    }

    internal override long CaseBytes() => CaseBytes(Options, B, T);

    private protected override string CaseName => $"{Variant} {Rule}";

    private protected override string CaseSizes => $"B={B} T={T}";

    private protected override IEnumerable<(string Name, object Value)> Parameters =>
        [("Accelerator", Accelerator), ("Variant", Variant), ("Rule", Rule), ("B", B), ("T", T)];

    /// <summary>Builds the layer, its workspace and the tensors.</summary>
    private protected override long SetUp(Accelerator accelerator)
    {
        layer = new LinearFastWeightLayer(accelerator, Options);
        workspace = layer.CreateWorkspace(B, T);
        tensors = new LinearBenchmarkTensors(accelerator, layer.Options, B, T);
        return workspace.AllocatedBytes;
    }

    private protected override void WarmUp()
    {
        Forward();
        Backward();
    }

    /// <summary>One forward, waited for.</summary>
    [Benchmark]
    public void Forward()
    {
        QueueForward();
        Stream!.Synchronize();
    }

    /// <summary>One backward of the last forward, waited for.</summary>
    [Benchmark]
    public void Backward()
    {
        QueueBackward();
        Stream!.Synchronize();
    }

    /// <summary>One forward and one backward, waited for once.</summary>
    [Benchmark]
    public void TrainingStep()
    {
        QueueForward();
        QueueBackward();
        Stream!.Synchronize();
    }

    private void QueueForward()
    {
        var t = tensors!;
        layer!.Forward(Stream!, workspace!, t.Y, t.WT, t.ZT, t.Q, t.K, t.V, t.Beta, default, default, B, T);
    }

    private void QueueBackward()
    {
        var t = tensors!;
        layer!.Backward(Stream!, workspace!, t.Dq, t.Dk, t.Dv, t.DBeta, t.Dw0, default, t.Dy, default, default,
            t.Q, t.K, t.V, t.Beta, default, default, B, T);
    }

    /// <summary>y and the gradients of the last calls, on the host.</summary>
    internal IReadOnlyDictionary<string, float[]> ReadOutputs()
    {
        var t = tensors ?? throw new InvalidOperationException("GlobalSetup has not run.");
        var r = new Dictionary<string, float[]> { ["y"] = t.Y.GetAsArray(), ["dq"] = t.Dq.GetAsArray(), ["dk"] = t.Dk.GetAsArray(), ["dv"] = t.Dv.GetAsArray() };
        if (t.DBeta.IsValid) r["dbeta"] = t.DBeta.GetAsArray();
        return r;
    }

    private protected override void Release()
    {
        tensors?.Dispose();
        tensors = null;
        workspace?.Dispose();
        workspace = null;
        layer?.Dispose();
        layer = null;
    }
}
