using BenchmarkDotNet.Attributes;

namespace FastWeights.Bench.Benchmarks;

/// <summary>
/// The parameters of the suites that run over <see cref="KernelBenchmarkGrid"/> (the fast-weight layer and the gated
/// baselines beside it): Accelerator, Variant, B, T, I, H, S, in that order. Each suite declares the static sources of
/// its own two: <c>Variants</c> (its implementations) and <c>InnerSteps</c>.
/// </summary>
public abstract class KernelGridBenchmark : DeviceBenchmark
{
    /// <summary>Names the suite's type and its default variant.</summary>
    private protected KernelGridBenchmark(Type suite, string variant)
        : base(suite)
    {
        Variant = variant;
    }

    /// <inheritdoc/>
    [ParamsSource(nameof(Accelerators))]
    public override string Accelerator { get; set; } = KernelBenchmarkEnvironment.Cpu;

    /// <summary>Which implementation: a name from the suite's <c>Variants</c>.</summary>
    [ParamsSource("Variants")]
    public string Variant { get; set; }

    /// <summary>Batch size.</summary>
    [ParamsSource(nameof(Batches))]
    public int B { get; set; } = 8;

    /// <summary>Sequence length.</summary>
    [ParamsSource(nameof(Times))]
    public int T { get; set; } = 16;

    /// <summary>Input width.</summary>
    [ParamsSource(nameof(Inputs))]
    public int I { get; set; } = KernelBenchmarkGrid.Input;

    /// <summary>Hidden size (the fast-weight matrix A is H×H).</summary>
    [ParamsSource(nameof(Hiddens))]
    public int H { get; set; } = 32;

    /// <summary>Inner steps per time step (always 1 for the layers without inner steps).</summary>
    [ParamsSource("InnerSteps")]
    public int S { get; set; } = 1;

    public static IEnumerable<int> Batches => KernelBenchmarkGrid.Current.Batches;

    public static IEnumerable<int> Times => KernelBenchmarkGrid.Current.Times;

    public static IEnumerable<int> Inputs => [KernelBenchmarkGrid.Input];

    public static IEnumerable<int> Hiddens => KernelBenchmarkGrid.Current.Hiddens;

    private protected override string CaseName => Variant;

    private protected override IEnumerable<(string Name, object Value)> Parameters =>
        [("Accelerator", Accelerator), ("Variant", Variant), ("B", B), ("T", T), ("I", I), ("H", H), ("S", S)];
}
