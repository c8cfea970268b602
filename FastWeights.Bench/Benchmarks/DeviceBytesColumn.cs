using System.Collections.Concurrent;
using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Parameters;
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

    /// <summary>The parameters that identify a case's allocation (the benchmark method does not change it).</summary>
    private static readonly string[] KeyParameters = ["Accelerator", "Variant", "B", "T", "I", "H", "S"];

    /// <summary>Records what the variant of the case with these parameter values allocated.</summary>
    public static void Record(IReadOnlyList<object> keyValues, long bytes) => recorded[Key(keyValues)] = bytes;

    /// <summary>The recorded bytes of the case, or null.</summary>
    public static long? Lookup(BenchmarkCase benchmarkCase)
    {
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        var values = KeyValues(benchmarkCase.Parameters);
        return values is not null && recorded.TryGetValue(Key(values), out long bytes) ? bytes : null;
    }

    private static object[]? KeyValues(ParameterInstances parameters)
    {
        var values = new object[KeyParameters.Length];
        for (int k = 0; k < KeyParameters.Length; k++)
        {
            if (parameters[KeyParameters[k]] is not { } value) return null;
            values[k] = value;
        }
        return values;
    }

    private static string Key(IReadOnlyList<object> values) =>
        string.Join('|', values.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)));

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
