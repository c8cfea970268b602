using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Kernels.Core;
using FastWeights.Kernels.HyperLstm;
using FastWeights.Kernels.Lstm;
using ILGPU;
using ILGPU.Runtime;

namespace FastWeights.Bench.GpuCheck;

/// <summary>
/// The <c>gpu-check</c> part for the dynamic-weight baselines (docs/lstm.md): forward and backward of
/// <see cref="LstmLayer"/> and <see cref="HyperLstmLayer"/> with the group schedule on the device under test against
/// the thread schedule on the ILGPU CPU accelerator, every output and gradient by name. It stands in for the NUnit
/// Gpu tests of these layers (FastWeights.Tests/Kernels/Lstm, /HyperLstm: *CudaTests) on a GPU machine without .NET.
/// Tolerances as for the other layers: 1e-4 forward, 1e-3 gradients (tanh, σ and exp are approximate on CUDA).
/// </summary>
internal static class LstmGpuCheck
{
    /// <summary>One case: HyperHidden = 0 means the plain LN-LSTM.</summary>
    internal readonly record struct Case(int B, int T, int I, int H, int HyperHidden, int Embedding, string Why)
    {
        public bool Hyper => HyperHidden > 0;
    }

    internal static readonly Case[] Cases =
    [
        new(2, 6, 3, 8, 0, 0, "tiny LSTM"),
        new(2, 6, 3, 8, 4, 2, "tiny HyperLSTM"),
        new(3, 24, 16, 50, 0, 0, "LSTM at the retrieval width, H not a multiple of the warp"),
        new(2, 16, 8, 64, 16, 4, "HyperLSTM, retrieval-like N_h = 16, N_z = 4"),
        new(2, 200, 4, 32, 0, 0, "long LSTM"),
    ];

    /// <summary>Runs the cases (the first two with <paramref name="quick"/>) and prints a PASS/FAIL line each.</summary>
    public static (int Passed, int Failed) Run(ComputeDevice deviceUnderTest, ComputeDevice reference, bool quick, TextWriter stdout) =>
        GpuCheckCommand.RunCases(quick ? Cases.Take(2) : Cases, deviceUnderTest, reference, stdout, c =>
            {
                string hyper = c.Hyper ? string.Create(CultureInfo.InvariantCulture, $" N_h={c.HyperHidden} N_z={c.Embedding}") : "";
                return string.Create(CultureInfo.InvariantCulture,
                    $"{DeviceOptions.KindName(deviceUnderTest.Kind)} group {(c.Hyper ? "hyperlstm" : "lstm-ln")} B={c.B} T={c.T} I={c.I} H={c.H}{hyper} ({c.Why})");
            },
            c => Inputs(c, seed: 104729 * c.T + c.H), RunLayer, Compare);

    /// <summary>The parameters of a case in the layers' order, with their lengths; gains start near 1.</summary>
    internal static (string Name, long Length)[] Parameters(Case c)
    {
        int H = c.H, I = c.I, N = c.HyperHidden, Z = c.Embedding;
        var main = new (string, long)[]
        {
            ("WH", 4L * H * H), ("WX", 4L * H * I), ("B", 4L * H), ("LnGain", 4L * H), ("LnBias", 4L * H),
            ("CellLnGain", H), ("CellLnBias", H),
        };
        if (!c.Hyper) return main;
        return
        [
            .. main,
            ("HyperWH", 4L * N * N), ("HyperWHMain", 4L * N * H), ("HyperWX", 4L * N * I), ("HyperB", 4L * N),
            ("HyperLnGain", 4L * N), ("HyperLnBias", 4L * N), ("HyperCellLnGain", N), ("HyperCellLnBias", N),
            ("WZ", 12L * Z * N), ("BZ", 8L * Z), ("WD", 12L * H * Z),
        ];
    }

    /// <summary>Inputs by name: x, the initial state, the parameters, dy and the final state's gradients.</summary>
    internal static Dictionary<string, float[]> Inputs(Case c, int seed)
    {
        var rng = new Random(seed);
        var inputs = StateInputs(rng, c.B, c.T, c.I, c.H, "h", "c");
        if (c.Hyper)
        {
            long bn = (long)c.B * c.HyperHidden;
            inputs["hh0"] = GpuCheckCommand.Uniform(rng, bn, 0.5);
            inputs["hc0"] = GpuCheckCommand.Uniform(rng, bn, 0.5);
            inputs["dhhT"] = GpuCheckCommand.Uniform(rng, bn, 1);
            inputs["dhcT"] = GpuCheckCommand.Uniform(rng, bn, 1);
        }
        AddParameters(inputs, rng, Parameters(c));
        return inputs;
    }

    /// <summary>
    /// A gated cell's inputs by name, drawn from <paramref name="rng"/> in this order: x [B,T,I] (±1), each initial state
    /// <paramref name="states"/>[k] + "0" [B,H] (±0.5), dy [B,T,H] (±1), each final-state gradient "d" + state + "T" [B,H] (±1).
    /// </summary>
    internal static Dictionary<string, float[]> StateInputs(Random rng, int b, int t, int i, int h, params string[] states)
    {
        long bh = (long)b * h;
        var inputs = new Dictionary<string, float[]> { ["x"] = GpuCheckCommand.Uniform(rng, (long)b * t * i, 1) };
        foreach (var state in states)
            inputs[state + "0"] = GpuCheckCommand.Uniform(rng, bh, 0.5);
        inputs["dy"] = GpuCheckCommand.Uniform(rng, (long)b * t * h, 1);
        foreach (var state in states)
            inputs["d" + state + "T"] = GpuCheckCommand.Uniform(rng, bh, 1);
        return inputs;
    }

    /// <summary>Draws the parameters in order: layer-norm gains in 1 ± 0.2, everything else ±0.3.</summary>
    internal static void AddParameters(Dictionary<string, float[]> inputs, Random rng, IEnumerable<(string Name, long Length)> parameters)
    {
        foreach (var (name, length) in parameters)
            inputs[name] = name.Contains("LnGain") ? GpuCheckCommand.Uniform(rng, length, 0.2, 1) : GpuCheckCommand.Uniform(rng, length, 0.3);
    }

    /// <summary>
    /// One run of a layer check on <paramref name="device"/>'s default stream: the inputs uploaded, each parameter p[name]
    /// uploaded and its gradient d[name] allocated (read back as "d" + name), then <paramref name="run"/> (which waits for
    /// the stream before it disposes its layer), and every output read back by name.
    /// </summary>
    internal static Dictionary<string, float[]> RunChecked(ComputeDevice device, Dictionary<string, float[]> inputs,
        IEnumerable<(string Name, long Length)> parameters,
        Action<AcceleratorStream, CheckBuffers, Dictionary<string, ArrayView<float>>, Dictionary<string, ArrayView<float>>> run)
    {
        var stream = device.Accelerator.DefaultStream;
        using var buffers = new CheckBuffers(device.Accelerator, inputs);
        var list = parameters.ToArray();
        var p = list.ToDictionary(e => e.Name, e => buffers.Up(e.Name));
        var d = list.ToDictionary(e => e.Name, e => buffers.Out("d" + e.Name, e.Length));
        run(stream, buffers, p, d);
        return buffers.Read(stream);
    }

    /// <summary>Forward and backward of one case on one device; outputs and gradients by name (gradients as "d" + name).</summary>
    private static Dictionary<string, float[]> RunLayer(ComputeDevice device, Case c, SweepSchedule schedule, Dictionary<string, float[]> inputs) =>
        RunChecked(device, inputs, Parameters(c), (stream, buffers, p, d) =>
        {
            var acc = device.Accelerator;
            ArrayView<float> Up(string name) => buffers.Up(name);
            ArrayView<float> Out(string name, long length) => buffers.Out(name, length);
            long bh = (long)c.B * c.H, bn = (long)c.B * c.HyperHidden;
            var x = Up("x");
            var y = Out("y", (long)c.B * c.T * c.H);
            if (!c.Hyper)
            {
                using var layer = new LstmLayer(acc, new LstmOptions { InputSize = c.I, HiddenSize = c.H, Schedule = schedule });
                using var ws = layer.CreateWorkspace(c.B, c.T);
                var parameters = new LstmParameters(p["WH"], p["WX"], p["B"], p["LnGain"], p["LnBias"], p["CellLnGain"], p["CellLnBias"]);
                layer.Forward(stream, ws, y, Out("hT", bh), Out("cT", bh), x, Up("h0"), Up("c0"), parameters, c.B, c.T);
                layer.Backward(stream, ws, Out("dx", (long)c.B * c.T * c.I), Out("dh0", bh), Out("dc0", bh),
                    new LstmParameterGradients(d["WH"], d["WX"], d["B"], d["LnGain"], d["LnBias"], d["CellLnGain"], d["CellLnBias"]),
                    Up("dy"), Up("dhT"), Up("dcT"), x, parameters, c.B, c.T);
                stream.Synchronize();
            }
            else
            {
                using var layer = new HyperLstmLayer(acc, new HyperLstmOptions
                {
                    InputSize = c.I, HiddenSize = c.H, HyperHiddenSize = c.HyperHidden, EmbeddingSize = c.Embedding, Schedule = schedule,
                });
                using var ws = layer.CreateWorkspace(c.B, c.T);
                var parameters = new HyperLstmParameters(p["WH"], p["WX"], p["B"], p["LnGain"], p["LnBias"], p["CellLnGain"], p["CellLnBias"],
                    p["HyperWH"], p["HyperWHMain"], p["HyperWX"], p["HyperB"], p["HyperLnGain"], p["HyperLnBias"],
                    p["HyperCellLnGain"], p["HyperCellLnBias"], p["WZ"], p["BZ"], p["WD"]);
                layer.Forward(stream, ws, y, new HyperLstmState(Out("hT", bh), Out("cT", bh), Out("hhT", bn), Out("hcT", bn)), x,
                    new HyperLstmState(Up("h0"), Up("c0"), Up("hh0"), Up("hc0")), parameters, c.B, c.T);
                layer.Backward(stream, ws, Out("dx", (long)c.B * c.T * c.I),
                    new HyperLstmState(Out("dh0", bh), Out("dc0", bh), Out("dhh0", bn), Out("dhc0", bn)),
                    new HyperLstmParameterGradients(d["WH"], d["WX"], d["B"], d["LnGain"], d["LnBias"], d["CellLnGain"], d["CellLnBias"],
                        d["HyperWH"], d["HyperWHMain"], d["HyperWX"], d["HyperB"], d["HyperLnGain"], d["HyperLnBias"],
                        d["HyperCellLnGain"], d["HyperCellLnBias"], d["WZ"], d["BZ"], d["WD"]),
                    Up("dy"), new HyperLstmState(Up("dhT"), Up("dcT"), Up("dhhT"), Up("dhcT")), x, parameters, c.B, c.T);
                stream.Synchronize();
            }
        });

    /// <summary>Every tensor by name; y and the final state are forward outputs, the "d…" ones gradients.</summary>
    internal static (bool Ok, string Line) Compare(Dictionary<string, float[]> actual, Dictionary<string, float[]> expected)
    {
        const double forwardTolerance = 1e-4, gradientTolerance = 1e-3;
        bool ok = actual.Count == expected.Count;
        var parts = new List<string>();
        foreach (var (name, e) in expected)
        {
            bool forward = !name.StartsWith('d');
            double err = actual.TryGetValue(name, out var a) ? GpuCheckCommand.RelativeL2(a, e) : double.PositiveInfinity;
            if (!(err <= (forward ? forwardTolerance : gradientTolerance))) ok = false;
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{name}={err:E1}"));
        }
        return (ok, string.Create(CultureInfo.InvariantCulture,
            $"rel_l2: {string.Join(' ', parts)} (tol fwd {forwardTolerance:E0}, grad {gradientTolerance:E0})"));
    }
}
