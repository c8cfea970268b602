using System.Collections.Concurrent;
using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace FastWeights.Bench.Benchmarks;

/// <summary>
/// The "Device bytes" column: bytes of device memory the case's variant allocated for its own state
/// (<see cref="ILayerVariant.WorkspaceBytes"/>), which BenchmarkDotNet's memory diagnoser cannot see
/// (it counts managed allocations). Suites record the value in their global setup; the kernels command runs
/// them in process, so the column reads it back here. NA when the case did not get through its setup.
/// </summary>
internal sealed class DeviceBytesColumn : IColumn
{
    public static readonly DeviceBytesColumn Instance = new();

    private static readonly ConcurrentDictionary<string, long> recorded = new();

    /// <summary>
    /// Records what the case of <paramref name="suite"/> with these parameter values allocated. Every parameter of the
    /// suite is part of the key (the benchmark method is not: it does not change the allocation), so suites with
    /// different parameters share the column. The suite is named by its declared type, not the instance's
    /// (BenchmarkDotNet's in-process toolchain runs an emitted subclass).
    /// </summary>
    public static void Record(Type suite, IEnumerable<(string Name, object Value)> parameters, long bytes)
    {
        ArgumentNullException.ThrowIfNull(suite);
        recorded[Key(suite, parameters)] = bytes;
    }

    /// <summary>The recorded bytes of the case, or null.</summary>
    public static long? Lookup(BenchmarkCase benchmarkCase)
    {
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        string key = Key(benchmarkCase.Descriptor.Type, benchmarkCase.Parameters.Items.Select(p => (p.Name, p.Value)));
        return recorded.TryGetValue(key, out long bytes) ? bytes : null;
    }

    private static string Key(Type suite, IEnumerable<(string Name, object Value)> parameters) =>
        suite.FullName + "|" + string.Join('|', parameters.OrderBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + Convert.ToString(p.Value, CultureInfo.InvariantCulture)));

    public string Id => "FastWeights.DeviceBytes";

    public string ColumnName => "Device bytes";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        Lookup(benchmarkCase) is { } bytes ? bytes.ToString("N0", CultureInfo.InvariantCulture) : "NA";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Device memory the variant allocated for its own state, in bytes (inputs, outputs, parameters and gradients not counted)";
}
