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
public class FastWeightLayerBenchmarks : KernelGridBenchmark
{
    private BenchmarkTensors? tensors;
    private ILayerVariant? variant;
    private LayerVariants.Entry? entry;

    /// <summary>A suite at its defaults (BenchmarkDotNet sets every parameter of a case).</summary>
    public FastWeightLayerBenchmarks()
        : base(typeof(FastWeightLayerBenchmarks), "Fused")
    {
    }

    /// <summary>The values of Variant: every name of <see cref="LayerVariants.All"/>.</summary>
    public static IEnumerable<string> Variants => LayerVariants.Names;

    /// <summary>The values of S for this run's accelerator.</summary>
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

    internal override long CaseBytes() => CaseBytes(Variant, Shape);

    private protected override string CaseSizes => Shape.ToString();

    /// <summary>An unknown variant is refused before the accelerator is opened.</summary>
    private protected override void CheckCase() => entry = LayerVariants.Find(Variant);

    private protected override long SetUp(Accelerator accelerator)
    {
        tensors = new BenchmarkTensors(accelerator, Shape);
        variant = entry!.Create(accelerator, tensors);
        return variant.WorkspaceBytes;
    }

    private protected override void WarmUp()
    {
        variant!.Forward();
        variant.Backward();
        Stream!.Synchronize();
    }

    /// <summary>One forward, waited for.</summary>
    [Benchmark]
    public void Forward()
    {
        LayerVariant.Forward();
        Stream!.Synchronize();
    }

    /// <summary>One backward of the forward run in setup, waited for.</summary>
    [Benchmark]
    public void Backward()
    {
        LayerVariant.Backward();
        Stream!.Synchronize();
    }

    /// <summary>One forward and one backward, waited for once.</summary>
    [Benchmark]
    public void TrainingStep()
    {
        var v = LayerVariant;
        v.Forward();
        v.Backward();
        Stream!.Synchronize();
    }

    /// <summary>The outputs and gradients of the last calls, on the host.</summary>
    internal IReadOnlyDictionary<string, float[]> ReadOutputs() =>
        (tensors ?? throw new InvalidOperationException("GlobalSetup has not run.")).ReadOutputs();

    private protected override void Release()
    {
        variant?.Dispose();
        variant = null;
        tensors?.Dispose();
        tensors = null;
    }
}
