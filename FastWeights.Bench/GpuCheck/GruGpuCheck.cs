using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Kernels.Core;
using FastWeights.Kernels.Gru;
using ILGPU;

namespace FastWeights.Bench.GpuCheck;

/// <summary>
/// The <c>gpu-check</c> part for the GRU-LN (docs/gru.md): forward and backward of <see cref="GruLayer"/> with the group
/// schedule on the device under test against the thread schedule on the ILGPU CPU accelerator, every output and gradient
/// by name (compared as <see cref="LstmGpuCheck.Compare"/> does: 1e-4 forward, 1e-3 gradients). It stands in for the NUnit
/// Gpu tests of the layer (FastWeights.Tests/Kernels/Gru/GruCudaTests) on a GPU machine without .NET.
/// </summary>
internal static class GruGpuCheck
{
    /// <summary>One case.</summary>
    internal readonly record struct Case(int B, int T, int I, int H, string Why);

    internal static readonly Case[] Cases =
    [
        new(2, 6, 3, 8, "tiny"),
        new(3, 24, 16, 50, "the retrieval width, H not a multiple of the warp"),
        new(2, 200, 4, 32, "long"),
    ];

    /// <summary>Runs the cases (the first with <paramref name="quick"/>) and prints a PASS/FAIL line each.</summary>
    public static (int Passed, int Failed) Run(ComputeDevice deviceUnderTest, ComputeDevice reference, bool quick, TextWriter stdout) =>
        GpuCheckCommand.RunCases(quick ? Cases.Take(1) : Cases, deviceUnderTest, reference, stdout,
            c => string.Create(CultureInfo.InvariantCulture,
                $"{DeviceOptions.KindName(deviceUnderTest.Kind)} group gru-ln B={c.B} T={c.T} I={c.I} H={c.H} ({c.Why})"),
            c => Inputs(c, seed: 7919 * c.T + c.H), RunLayer, LstmGpuCheck.Compare);

    /// <summary>The parameters of a case in the layer's order, with their lengths.</summary>
    private static (string Name, long Length)[] Parameters(Case c) =>
    [
        ("WH", 3L * c.H * c.H), ("WX", 3L * c.H * c.I),
        ("InputLnGain", 3L * c.H), ("InputLnBias", 3L * c.H), ("RecurrentLnGain", 3L * c.H), ("RecurrentLnBias", 3L * c.H),
    ];

    /// <summary>Inputs by name: x, h0, dy and dhT, then the parameters (gains near 1).</summary>
    private static Dictionary<string, float[]> Inputs(Case c, int seed)
    {
        var rng = new Random(seed);
        var inputs = LstmGpuCheck.StateInputs(rng, c.B, c.T, c.I, c.H, "h");
        LstmGpuCheck.AddParameters(inputs, rng, Parameters(c));
        return inputs;
    }

    /// <summary>Forward and backward of one case on one device; outputs and gradients by name (gradients as "d" + name).</summary>
    private static Dictionary<string, float[]> RunLayer(ComputeDevice device, Case c, SweepSchedule schedule, Dictionary<string, float[]> inputs) =>
        LstmGpuCheck.RunChecked(device, inputs, Parameters(c), (stream, buffers, p, d) =>
        {
            long bh = (long)c.B * c.H;
            var x = buffers.Up("x");
            using var layer = new GruLayer(device.Accelerator, new GruOptions { InputSize = c.I, HiddenSize = c.H, Schedule = schedule });
            using var ws = layer.CreateWorkspace(c.B, c.T);
            var parameters = new GruParameters(p["WH"], p["WX"], p["InputLnGain"], p["InputLnBias"], p["RecurrentLnGain"], p["RecurrentLnBias"]);
            layer.Forward(stream, ws, buffers.Out("y", (long)c.B * c.T * c.H), buffers.Out("hT", bh), x, buffers.Up("h0"), parameters, c.B, c.T);
            layer.Backward(stream, ws, buffers.Out("dx", (long)c.B * c.T * c.I), buffers.Out("dh0", bh),
                new GruParameterGradients(d["WH"], d["WX"], d["InputLnGain"], d["InputLnBias"], d["RecurrentLnGain"], d["RecurrentLnBias"]),
                buffers.Up("dy"), buffers.Up("dhT"), x, parameters, c.B, c.T);
            stream.Synchronize();
        });
}
