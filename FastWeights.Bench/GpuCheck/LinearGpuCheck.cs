using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Kernels.Core;
using FastWeights.Kernels.LinearFastWeights;

namespace FastWeights.Bench.GpuCheck;

/// <summary>
/// The <c>gpu-check</c> part for the linear-transformer fast-weight memory (docs/linear-fast-weights.md): forward and
/// backward of <see cref="LinearFastWeightLayer"/> with the group schedule on the device under test against the thread
/// schedule on the ILGPU CPU accelerator, over a fixed list of rules, maps and shapes, compensated sums on and off.
/// </summary>
/// <remarks>
/// The NUnit Gpu tests of this layer (FastWeights.Tests/Kernels/LinearFastWeights/LinearFastWeightCudaTests.cs) need .NET, which a GPU machine
/// may lack; this runs from the self-contained publish. Tolerances: 1e-4 forward, 1e-3 gradients, as for the RNN layer:
/// on CUDA exp (ELU+1, σ(β)) is an approximate PTX instruction, and ptxas may contract a multiply and an add into an
/// fma, which rounds differently (inside the compensated sums it only makes the added term exact).
/// </remarks>
internal static class LinearGpuCheck
{
    internal readonly record struct Case(int B, int T, int Heads, int D, int M, FeatureMap Map, UpdateRule Rule, bool Normalize,
        bool Compensated, string Why);

    internal static readonly Case[] Cases =
    [
        new(2, 9, 2, 3, 5, FeatureMap.Dpfp1, UpdateRule.Delta, true, true, "tiny, delta"),
        new(2, 9, 2, 3, 5, FeatureMap.Dpfp2, UpdateRule.Sum, true, true, "tiny, normalised sum"),
        new(2, 40, 4, 16, 16, FeatureMap.Dpfp1, UpdateRule.Delta, true, true, "retrieval-like heads, d' = 32"),
        new(2, 24, 2, 16, 40, FeatureMap.Dpfp3, UpdateRule.Delta, true, true, "d' = 96 > m: the group covers columns"),
        new(3, 32, 2, 8, 8, FeatureMap.EluPlusOne, UpdateRule.Sum, false, true, "ELU+1 (approximate exp), plain sum"),
        new(2, 32, 2, 8, 8, FeatureMap.Dpfp2, UpdateRule.Sum, true, false, "compensated sums off"),
        new(1, 1024, 2, 4, 6, FeatureMap.Dpfp1, UpdateRule.Sum, true, true, "long: 1024 steps of compensated sums"),
    ];

    /// <summary>Runs the cases (the first two with <paramref name="quick"/>) and prints a PASS/FAIL line each.</summary>
    public static (int Passed, int Failed) Run(ComputeDevice deviceUnderTest, ComputeDevice reference, bool quick, TextWriter stdout) =>
        GpuCheckCommand.RunCases(quick ? Cases.Take(2) : Cases, deviceUnderTest, reference, stdout, c => Describe(deviceUnderTest, c),
            c => Inputs(c, seed: 7919 * c.T + c.M), RunLayer, Compare);

    private static string Describe(ComputeDevice device, Case c) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{DeviceOptions.KindName(device.Kind)} group linear {c.Rule.ToString().ToLowerInvariant()}{(c.Normalize ? " normalised" : "")} {c.Map} "
            + $"B={c.B} T={c.T} heads={c.Heads} d={c.D} m={c.M} compensated={(c.Compensated ? "on" : "off")} ({c.Why})");

    private static LinearFastWeightHostResult RunLayer(ComputeDevice device, Case c, SweepSchedule schedule, LinearFastWeightHostInputs inputs)
    {
        using var layer = new LinearFastWeightLayer(device.Accelerator, new LinearFastWeightOptions
        {
            Heads = c.Heads, KeySize = c.D, ValueSize = c.M, FeatureMap = c.Map, Rule = c.Rule, Normalize = c.Normalize,
            CompensatedSums = c.Compensated, Schedule = schedule,
        });
        return LinearFastWeightHost.Run(layer, inputs);
    }

    /// <summary>Deterministic inputs with the initial state and every upstream gradient present, so every path runs.</summary>
    internal static LinearFastWeightHostInputs Inputs(Case c, int seed)
    {
        var rng = new Random(seed);
        float[] U(long n, double scale, double offset = 0) => GpuCheckCommand.Uniform(rng, n, scale, offset);
        int featureSize = c.Map.FeatureSize(c.D);
        long rows = (long)c.B * c.T * c.Heads, sequences = (long)c.B * c.Heads;
        bool keepsZ = c.Rule == UpdateRule.Sum && c.Normalize;
        return new LinearFastWeightHostInputs
        {
            Batch = c.B, Time = c.T,
            Q = U(rows * c.D, 1), K = U(rows * c.D, 1), V = U(rows * c.M, 1),
            Beta = c.Rule == UpdateRule.Delta ? U(rows, 1) : null,
            W0 = U(sequences * c.M * featureSize, 0.1),
            // z0 > 0 keeps the normalised sum rule's denominator away from ε.
            Z0 = keepsZ ? U(sequences * featureSize, 0.1, 0.5) : null,
            Dy = U(rows * c.M, 1), DwT = U(sequences * c.M * featureSize, 0.1),
            DzT = keepsZ ? U(sequences * featureSize, 0.1) : null,
        };
    }

    internal static (bool Ok, string Line) Compare(LinearFastWeightHostResult actual, LinearFastWeightHostResult expected)
    {
        const double forwardTolerance = 1e-4, gradientTolerance = 1e-3;
        var pairs = new (string Name, float[]? Actual, float[]? Expected, bool Forward)[]
        {
            ("y", actual.Y, expected.Y, true), ("wT", actual.WT, expected.WT, true), ("zT", actual.ZT, expected.ZT, true),
            ("dq", actual.DQ, expected.DQ, false), ("dk", actual.DK, expected.DK, false), ("dv", actual.DV, expected.DV, false),
            ("dbeta", actual.DBeta, expected.DBeta, false), ("dw0", actual.DW0, expected.DW0, false), ("dz0", actual.DZ0, expected.DZ0, false),
        };
        bool ok = true;
        var parts = new List<string>();
        foreach (var (name, a, e, forward) in pairs)
        {
            if (a is null && e is null) continue; // not an output with these options (zT, dz0, dβ)
            double err = a is null || e is null ? double.PositiveInfinity : GpuCheckCommand.RelativeL2(a, e);
            if (!(err <= (forward ? forwardTolerance : gradientTolerance))) ok = false;
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{name}={err:E1}"));
        }
        return (ok, string.Create(CultureInfo.InvariantCulture,
            $"rel_l2: {string.Join(' ', parts)} (tol fwd {forwardTolerance:E0}, grad {gradientTolerance:E0})"));
    }
}
