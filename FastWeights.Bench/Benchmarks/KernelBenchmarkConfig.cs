using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace FastWeights.Bench.Benchmarks;

/// <summary>The BenchmarkDotNet configuration of the <c>kernels</c> command.</summary>
internal static class KernelBenchmarkConfig
{
    /// <summary>The suites of the <c>kernels</c> command.</summary>
    public static Type[] Suites { get; } = [typeof(FastWeightLayerBenchmarks), typeof(LinearFastWeightBenchmarks), typeof(LstmLayerBenchmarks)];

    /// <summary>
    /// BenchmarkDotNet's default columns, analysers and validators, markdown (GitHub) and JSON exporters, the
    /// "Device bytes" column, and a mutator job that runs every job in process.
    /// </summary>
    /// <remarks>
    /// In process, because the suites live in this executable next to the CLI and open accelerators whose device
    /// memory the column reports; a mutator, not a default job, because a default job in this config would replace
    /// the one chosen with <c>--job</c> (BenchmarkDotNet takes a config's default job as the base job), while a
    /// mutator is applied on top of whichever job the command line selects (dry, short, default, …).
    /// </remarks>
    public static IConfig Create() =>
        ManualConfig.CreateMinimumViable()
            .AddAnalyser(DefaultConfig.Instance.GetAnalysers().ToArray())
            .AddValidator(DefaultConfig.Instance.GetValidators().ToArray())
            .AddExporter(MarkdownExporter.GitHub, JsonExporter.Default)
            .AddColumn(DeviceBytesColumn.Instance)
            .AddJob(new Job("InProcess").WithToolchain(InProcessEmitToolchain.Instance).AsMutator());
}
