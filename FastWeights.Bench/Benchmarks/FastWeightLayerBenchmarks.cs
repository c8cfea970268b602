using BenchmarkDotNet.Attributes;
using FastWeights.Kernels.Core;
using ILGPU.Runtime;

namespace FastWeights.Bench.Benchmarks;

/// <summary>
/// Forward, backward and a training step (forward + backward) of the fast-weight layer and its baselines
/// (<see cref="LayerVariants"/>) over a grid of (B, T, H, S) chosen from the accelerator
/// (<see cref="KernelBenchmarkGrid"/>), with I = 64 and λ = 0.95.
/// </summary>
/// <remarks>
/// The global setup opens the accelerator, allocates the tensors and the variant's workspace, and runs one
/// forward and one backward, so the kernels are compiled and a forward's tape is in place before anything is
/// measured. Each benchmark method queues its work and waits for the stream: the time is device time plus
/// launch overhead, not just the time to queue.
/// </remarks>
public class FastWeightLayerBenchmarks
{
    private ComputeDevice? device;
    private BenchmarkTensors? tensors;
    private ILayerVariant? variant;
    private AcceleratorStream? stream;

    /// <summary>cpu or cuda: this run's accelerator (one value per run).</summary>
    [ParamsSource(nameof(Accelerators))]
    public string Accelerator { get; set; } = KernelBenchmarkEnvironment.Cpu;

    /// <summary>Which implementation: a name from <see cref="LayerVariants.All"/>.</summary>
    [ParamsSource(nameof(Variants))]
    public string Variant { get; set; } = "Fused";

    /// <summary>Batch size.</summary>
    [ParamsSource(nameof(Batches))]
    public int B { get; set; } = 8;

    /// <summary>Sequence length.</summary>
    [ParamsSource(nameof(Times))]
    public int T { get; set; } = 16;

    /// <summary>Input width.</summary>
    [ParamsSource(nameof(Inputs))]
    public int I { get; set; } = KernelBenchmarkGrid.Input;

    /// <summary>Hidden size (A is H×H).</summary>
    [ParamsSource(nameof(Hiddens))]
    public int H { get; set; } = 32;

    /// <summary>Inner steps per time step.</summary>
    [ParamsSource(nameof(InnerSteps))]
    public int S { get; set; } = 1;

    public static IEnumerable<string> Accelerators => [KernelBenchmarkEnvironment.Current];

    public static IEnumerable<string> Variants => LayerVariants.Names;

    public static IEnumerable<int> Batches => KernelBenchmarkGrid.Current.Batches;

    public static IEnumerable<int> Times => KernelBenchmarkGrid.Current.Times;

    public static IEnumerable<int> Inputs => [KernelBenchmarkGrid.Input];

    public static IEnumerable<int> Hiddens => KernelBenchmarkGrid.Current.Hiddens;

    public static IEnumerable<int> InnerSteps => KernelBenchmarkGrid.Current.InnerSteps;

    /// <summary>The case's sizes.</summary>
    internal LayerShape Shape => new(B, T, I, H, S, KernelBenchmarkGrid.Decay);

    /// <summary>The variant under test (after <see cref="GlobalSetup"/>).</summary>
    internal ILayerVariant LayerVariant => variant ?? throw new InvalidOperationException("GlobalSetup has not run.");

    /// <summary>
    /// What a case allocates: the variant's workspace (the layers' own size functions) plus <see cref="BenchmarkTensors"/>
    /// (x, dy, y, dx [B,T,·], hT [B,H], A_T [B,H,H], the parameters and their gradients).
    /// </summary>
    internal static long CaseBytes(string variant, LayerShape s)
    {
        long b = s.Batch, t = s.Time, i = s.Input, h = s.Hidden;
        long tensors = CaseMemory.Floats(2 * (h * h + h * i + 3 * h) + 2 * b * t * i + 2 * b * t * h + b * h + b * h * h);
        long workspace = variant switch
        {
            "Fused" => FastWeights.Kernels.FastWeightRnn.FastWeightRnnLayer.WorkspaceBytes(s.Batch, s.Time, s.Input, s.Hidden, s.InnerSteps, s.Decay),
            "StoreAll" => FastWeights.Kernels.FastWeightRnn.FastWeightRnnLayer.StoreAllBytes(s.Batch, s.Time, s.Input, s.Hidden, s.InnerSteps, s.Decay),
            "PerStepLaunch" => CaseMemory.Floats(FastWeights.Kernels.Baselines.PerStepLaunchRnn.Elements(s.Batch, s.Time, s.Hidden, s.InnerSteps)),
            "AttentionForm" => CaseMemory.Floats(FastWeights.Kernels.FastWeightRnn.AttentionFormRnn.Elements(s.Batch, s.Time, s.Hidden, s.InnerSteps)),
            _ => 0,
        };
        return CaseMemory.Add(tensors, workspace);
    }

    [GlobalSetup]
    public void GlobalSetup()
    {
        GlobalCleanup();
        var entry = LayerVariants.Find(Variant);
        try
        {
            device = KernelBenchmarkEnvironment.Open(Accelerator);
            CaseMemory.Require(device, CaseBytes(Variant, Shape), $"the case {Variant} {Shape}");
            stream = device.Accelerator.DefaultStream;
            tensors = new BenchmarkTensors(device.Accelerator, Shape);
            variant = entry.Create(device.Accelerator, tensors);
            DeviceBytesColumn.Record(typeof(FastWeightLayerBenchmarks),
                [("Accelerator", Accelerator), ("Variant", Variant), ("B", B), ("T", T), ("I", I), ("H", H), ("S", S)], variant.WorkspaceBytes);
            variant.Forward();
            variant.Backward();
            stream.Synchronize();
        }
        catch (Exception e)
        {
            GlobalCleanup();
            throw new InvalidOperationException(
                $"setup of {Variant} at {Shape} on {Accelerator} failed: {e.Message}", e);
        }
    }

    /// <summary>One forward, waited for.</summary>
    [Benchmark]
    public void Forward()
    {
        LayerVariant.Forward();
        stream!.Synchronize();
    }

    /// <summary>One backward of the forward run in setup, waited for.</summary>
    [Benchmark]
    public void Backward()
    {
        LayerVariant.Backward();
        stream!.Synchronize();
    }

    /// <summary>One forward and one backward, waited for once.</summary>
    [Benchmark]
    public void TrainingStep()
    {
        var v = LayerVariant;
        v.Forward();
        v.Backward();
        stream!.Synchronize();
    }

    /// <summary>The outputs and gradients of the last calls, on the host.</summary>
    internal IReadOnlyDictionary<string, float[]> ReadOutputs() =>
        (tensors ?? throw new InvalidOperationException("GlobalSetup has not run.")).ReadOutputs();

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        variant?.Dispose();
        variant = null;
        tensors?.Dispose();
        tensors = null;
        stream = null;
        device?.Dispose();
        device = null;
    }
}
