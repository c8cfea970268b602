using ILGPU.Runtime;

namespace FastWeights.Bench.Benchmarks;

/// <summary>The variants the kernel benchmarks compare, by name (the values of the suite's <c>Variant</c> parameter).</summary>
internal static class LayerVariants
{
    /// <summary>A named way to build a variant for a case's tensors on an accelerator.</summary>
    internal sealed record Entry(string Name, string Description, Func<Accelerator, BenchmarkTensors, ILayerVariant> Create);

    /// <summary>
    /// Every variant, in table order. <c>Fused</c> comes first: the docs give ratios against the others.
    /// To add a baseline, write an adapter implementing <see cref="ILayerVariant"/> and add one line here.
    /// </summary>
    public static IReadOnlyList<Entry> All { get; } =
    [
        new("Fused", "FastWeightRnnLayer as shipped: one fused launch per sweep, A rebuilt backwards between copies every K steps.",
            (accelerator, tensors) => new FusedLayerVariant(accelerator, tensors, checkpointInterval: null)),
        new("StoreAll", "The same layer with CheckpointInterval = 1: A stored for every step, as autograd would keep it.",
            (accelerator, tensors) => new FusedLayerVariant(accelerator, tensors, checkpointInterval: 1)),
        new("PerStepLaunch", "PerStepLaunchRnn: one launch per time step and inner step, A stored per step (a framework without fusion).",
            BaselineLayerVariant.PerStepLaunch),
        new("AttentionForm", "AttentionFormRnn: A never formed; products with A as sums over the stored h's.",
            BaselineLayerVariant.AttentionForm),
    ];

    public static IEnumerable<string> Names => All.Select(v => v.Name);

    /// <exception cref="ArgumentException">No variant has that name.</exception>
    public static Entry Find(string name) =>
        All.FirstOrDefault(v => v.Name == name)
        ?? throw new ArgumentException($"unknown variant '{name}'; expected one of {string.Join(", ", Names)}.", nameof(name));
}
