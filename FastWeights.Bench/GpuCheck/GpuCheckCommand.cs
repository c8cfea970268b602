using System.CommandLine;
using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Kernels.Core;
using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Primitives;

namespace FastWeights.Bench.GpuCheck;

/// <summary>
/// <c>gpu-check [--accelerator cuda|cpu] [--quick]</c>: runs forward and backward of the layer on the
/// device under test, with both schedules of the matrix form and with the attention form, for a fixed list of shapes,
/// and compares every output and gradient with the same call on the ILGPU CPU accelerator (matrix form, thread
/// schedule); then the same for the group schedules of the linear fast-weight memory (<see cref="LinearGpuCheck"/>) and of
/// the LSTM-LN and HyperLSTM (<see cref="LstmGpuCheck"/>), of the GRU-LN (<see cref="GruGpuCheck"/>), and one training batch of every retrieval model
/// (<see cref="ModelGpuCheck"/>). Prints one <c>PASS</c>/<c>FAIL</c> line per (shape, variant) with the relative L2 error of each tensor and
/// where A and Ā lived, then a summary line. Exit code 0 when all pass, 2 when any fails.
/// </summary>
/// <remarks>
/// <para>The comparison target is the CPU accelerator, not a float64 reference: the test suite holds
/// that path to the float64 reference (FastWeights.Tests/Kernels/FastWeightRnn/FastWeightRnnReference.cs) at ~1e-5, so a CUDA error well
/// above that is the GPU's. The float64 check proper is bench/gpu/torch_peer.py --check, which compares
/// the <c>layer</c> command's output with PyTorch float64 autograd.</para>
/// <para>Tolerances are those of FastWeights.Tests/Kernels/FastWeightRnn/FastWeightRnnCudaTests.cs: 1e-4 forward, 1e-3
/// gradients (3e-3 for T &gt; 100). On CUDA tanh/exp/sqrt are approximate PTX instructions.</para>
/// <para>The shapes straddle the shared-memory thresholds of docs/design.md §6.2: 48 KiB (H = 64 both
/// on chip without opt-in), and the H100 opt-in limit of 227 KiB (forward on chip up to H = 238,
/// reverse up to H = 169).</para>
/// </remarks>
internal static class GpuCheckCommand
{
    public const string Name = "gpu-check";

    /// <summary>Exit code when a comparison fails.</summary>
    public const int Failed = 2;

    internal readonly record struct Shape(int B, int T, int I, int H, int S, double Decay, bool Relu, string Why);

    internal static readonly Shape[] Shapes =
    [
        new(2, 5, 3, 8, 1, 0.95, false, "tiny"),
        new(3, 40, 3, 24, 3, 0.9, true, "relu, 3 inner steps"),
        new(4, 64, 16, 64, 1, 0.95, false, "A and Ā on chip within 48 KiB"),
        new(2, 32, 8, 128, 2, 0.9, false, "on chip only with the opt-in (68 KB fwd, 133 KB rev)"),
        new(2, 16, 8, 130, 1, 0.5, false, "H not a multiple of the warp"),
        new(2, 16, 8, 169, 1, 0.95, false, "reverse at the H100 opt-in limit"),
        new(2, 16, 8, 170, 1, 0.95, false, "reverse in global memory, forward on chip"),
        new(2, 12, 8, 238, 1, 0.95, false, "forward at the H100 opt-in limit"),
        new(2, 12, 8, 239, 1, 0.95, false, "both in global memory"),
        new(2, 1000, 3, 8, 1, 0.9, false, "long: re-anchoring"),
    ];

    public static Command Create()
    {
        var accelerator = new Option<string>("--accelerator")
        {
            Description = "Device under test: cuda (default), or cpu (the NVIDIA-shaped CPU device for the group schedule; a smoke test of this command).",
            DefaultValueFactory = _ => "cuda",
        };
        accelerator.AcceptOnlyFromAmong("cuda", "cpu");
        var quick = new Option<bool>("--quick") { Description = "Only the first two shapes of each layer." };
        var command = new Command(Name, "Check the layers and the retrieval models on the device under test against the CPU accelerator, a fixed list of shapes; PASS/FAIL lines.")
        {
            accelerator, quick,
        };
        command.SetAction(parse => Run(parse.GetValue(accelerator)!, parse.GetValue(quick),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>
    /// Device bytes of the largest fast-weight RNN shape: the layer's workspace (<c>FastWeightRnnLayer.WorkspaceBytes</c>)
    /// plus its tensors x, y, dy, dx [B,T,·], h0, hT, A0, A_T and their gradients, and the parameters with gradients.
    /// </summary>
    internal static long LargestShapeBytes() => Shapes.Max(s =>
        FastWeightRnnLayer.WorkspaceBytes(s.B, s.T, s.I, s.H, s.S, s.Decay)
        + 4L * (2L * s.B * s.T * s.I + 2L * s.B * s.T * s.H + 4L * s.B * s.H + 4L * s.B * s.H * s.H
            + 2L * (s.H * s.H + (long)s.H * s.I + 3L * s.H)));

    public static int Run(string accelerator, bool quick, TextWriter stdout, TextWriter stderr) =>
        CommandErrors.Guard(Name, stderr, () =>
        {
            bool cuda = accelerator == "cuda";
            if (cuda && !ComputeDevice.CudaAvailable())
                throw new CommandInputException("no CUDA device is visible to ILGPU on this machine (use --accelerator cpu for a smoke test).");
            using var reference = ComputeDevice.Open(AcceleratorKind.Cpu);
            using var group = ComputeDevice.Open(cuda ? AcceleratorKind.Cuda : AcceleratorKind.CpuNvidia);
            using var thread = cuda ? null : ComputeDevice.Open(AcceleratorKind.Cpu);
            // The fixed shapes are small, but a small device must still be refused with the bytes, not fail mid-check.
            ResourceCheck.RequireDeviceFits(group, LargestShapeBytes(), "the check's fast-weight RNN shapes");
            stdout.WriteLine($"gpu-check: device under test {group.Describe()}");
            int optIn = CudaSharedMemory.OptInLimit(group.Accelerator);
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"gpu-check: shared memory per group: default {group.Accelerator.MaxSharedMemoryPerGroup} B, opt-in maximum {(optIn > 0 ? optIn + " B" : "none")}"));
            stdout.WriteLine($"gpu-check: reference {reference.Describe()}, thread schedule");

            int passed = 0, failed = 0;
            foreach (var shape in quick ? Shapes.Take(2) : Shapes)
            {
                var inputs = Inputs(shape, seed: shape.H * 1000 + shape.T);
                var expected = RunLayer(reference, shape, SweepSchedule.Thread, FastWeightForm.Matrix, inputs, out _);
                foreach (var (schedule, form) in Variants)
                {
                    var device = schedule == SweepSchedule.Group || thread is null ? group : thread;
                    bool ok = Report(stdout, Describe(device, schedule, form, shape), () =>
                    {
                        var actual = RunLayer(device, shape, schedule, form, inputs, out string placement);
                        var (same, line) = Compare(actual, expected, shape);
                        return (same, $"{placement} {line}");
                    });
                    if (ok) passed++; else failed++;
                }
            }
            var parts = new (string Title, Func<ComputeDevice, ComputeDevice, bool, TextWriter, (int Passed, int Failed)> Run)[]
            {
                ("linear fast-weight memory, group schedule on {0} vs the thread schedule on the reference", LinearGpuCheck.Run),
                ("LSTM-LN and HyperLSTM, group schedule on {0} vs the thread schedule on the reference", LstmGpuCheck.Run),
                ("GRU-LN, group schedule on {0} vs the thread schedule on the reference", GruGpuCheck.Run),
                ("the retrieval models, one training batch on {0} vs the reference", ModelGpuCheck.Run),
            };
            foreach (var (title, run) in parts)
            {
                stdout.WriteLine("gpu-check: " + title.Replace("{0}", group.Describe(), StringComparison.Ordinal));
                var (partPassed, partFailed) = run(group, reference, quick, stdout);
                passed += partPassed;
                failed += partFailed;
            }
            stdout.WriteLine($"gpu-check: {passed} passed, {failed} failed");
            return failed == 0 ? 0 : Failed;
        });

    /// <summary>
    /// What runs on the device under test: both schedules of the matrix form, and the attention form (thread per
    /// sequence; design.md §10). Forms are pinned, not Auto, so each shape checks the same kernels on every machine.
    /// </summary>
    private static readonly (SweepSchedule Schedule, FastWeightForm Form)[] Variants =
        [(SweepSchedule.Group, FastWeightForm.Matrix), (SweepSchedule.Thread, FastWeightForm.Matrix), (SweepSchedule.Thread, FastWeightForm.Attention)];

    private static string Describe(ComputeDevice device, SweepSchedule schedule, FastWeightForm form, Shape s) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{DeviceOptions.KindName(device.Kind)} {DeviceOptions.ScheduleName(schedule)} {DeviceOptions.FormName(form)} B={s.B} T={s.T} I={s.I} H={s.H} S={s.S} decay={s.Decay} {(s.Relu ? "relu" : "tanh")} ({s.Why})");

    private static FastWeightRnnHostResult RunLayer(ComputeDevice device, Shape s, SweepSchedule schedule, FastWeightForm form,
        FastWeightRnnHostInputs inputs, out string placement)
    {
        using var layer = new FastWeightRnnLayer(device.Accelerator, new FastWeightRnnOptions
        {
            InputSize = s.I, HiddenSize = s.H, InnerSteps = s.S, Decay = s.Decay, FastLearningRate = 0.5,
            Activation = s.Relu ? Activation.Relu : Activation.Tanh, Schedule = schedule, Form = form,
        });
        placement = form == FastWeightForm.Attention ? "[attention form, thread per sequence]"
            : layer.Schedule == SweepSchedule.Group
            ? string.Create(CultureInfo.InvariantCulture,
                $"[G={layer.GroupSize} fwd A {(layer.ForwardFastWeightsOnChip ? "shared" : "global")} {FastWeightSharedMemory.ForwardBytes(s.H, layer.GroupSize, layer.ForwardFastWeightsOnChip)} B, "
                + $"rev A,Ā {(layer.ReverseFastWeightsOnChip ? "shared" : "global")} {FastWeightSharedMemory.ReverseBytes(s.H, layer.GroupSize, layer.ReverseFastWeightsOnChip)} B]")
            : "[thread per sequence]";
        return FastWeightRnnHost.Run(layer, inputs);
    }

    /// <summary>Deterministic inputs with every optional tensor present, so every path (h0, A0, dhT, dAT) runs.</summary>
    internal static FastWeightRnnHostInputs Inputs(Shape s, int seed)
    {
        var rng = new Random(seed);
        float[] U(long n, double scale, double offset = 0) => Uniform(rng, n, scale, offset);
        long bh = (long)s.B * s.H;
        return new FastWeightRnnHostInputs
        {
            Batch = s.B, Time = s.T,
            X = U((long)s.B * s.T * s.I, 1), H0 = U(bh, 0.5), A0 = U(bh * s.H, 0.05),
            W = U((long)s.H * s.H, 1 / Math.Sqrt(s.H)), C = U((long)s.H * s.I, 1 / Math.Sqrt(s.I)),
            B = U(s.H, 0.1), LnGain = U(s.H, 0.1, 1), LnBias = U(s.H, 0.1),
            Dy = U((long)s.B * s.T * s.H, 1), DhT = U(bh, 1), DAT = U(bh * s.H, 0.1),
        };
    }

    internal static (bool Ok, string Line) Compare(FastWeightRnnHostResult actual, FastWeightRnnHostResult expected, Shape s)
    {
        double forwardTolerance = 1e-4, gradientTolerance = s.T > 100 ? 3e-3 : 1e-3;
        var pairs = new (string Name, float[]? Actual, float[]? Expected, bool Forward)[]
        {
            ("y", actual.Y, expected.Y, true), ("hT", actual.HT, expected.HT, true), ("AT", actual.AT, expected.AT, true),
            ("dx", actual.DX, expected.DX, false), ("dh0", actual.DH0, expected.DH0, false), ("dA0", actual.DA0, expected.DA0, false),
            ("dW", actual.DW, expected.DW, false), ("dC", actual.DC, expected.DC, false), ("db", actual.DB, expected.DB, false),
            ("dg", actual.DLnGain, expected.DLnGain, false), ("dbeta", actual.DLnBias, expected.DLnBias, false),
        };
        bool ok = true;
        var parts = new List<string>();
        foreach (var (name, a, e, forward) in pairs)
        {
            double err = a is null || e is null ? double.PositiveInfinity : RelativeL2(a, e);
            if (!(err <= (forward ? forwardTolerance : gradientTolerance))) ok = false;
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{name}={err:E1}"));
        }
        return (ok, string.Create(CultureInfo.InvariantCulture,
            $"rel_l2: {string.Join(' ', parts)} (tol fwd {forwardTolerance:E0}, grad {gradientTolerance:E0})"));
    }

    /// <summary>
    /// Runs one check, turning an exception into a failure, and prints its PASS/FAIL line ("what" then the detail).
    /// Returns whether it passed.
    /// </summary>
    internal static bool Report(TextWriter stdout, string what, Func<(bool Ok, string Line)> check)
    {
        bool ok;
        string line;
        try
        {
            (ok, line) = check();
            line = $"{what} {line}";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            ok = false;
            line = $"{what} threw {e.GetType().Name}: {CommandErrors.OneLine(e.Message)}";
        }
        stdout.WriteLine((ok ? "PASS " : "FAIL ") + line);
        return ok;
    }

    /// <summary>
    /// Runs <paramref name="cases"/> of one layer: each case's <paramref name="inputs"/> through the thread schedule on the
    /// reference and the group schedule on the device under test (<paramref name="run"/>), compared by
    /// <paramref name="compare"/> (actual, expected); one PASS/FAIL line each, headed by <paramref name="describe"/>.
    /// </summary>
    internal static (int Passed, int Failed) RunCases<TCase, TInputs, TResult>(IEnumerable<TCase> cases, ComputeDevice deviceUnderTest,
        ComputeDevice reference, TextWriter stdout, Func<TCase, string> describe, Func<TCase, TInputs> inputs,
        Func<ComputeDevice, TCase, SweepSchedule, TInputs, TResult> run, Func<TResult, TResult, (bool Ok, string Line)> compare)
    {
        int passed = 0, failed = 0;
        foreach (var c in cases)
        {
            bool ok = Report(stdout, describe(c), () =>
            {
                var given = inputs(c);
                var expected = run(reference, c, SweepSchedule.Thread, given);
                var actual = run(deviceUnderTest, c, SweepSchedule.Group, given);
                return compare(actual, expected);
            });
            if (ok) passed++; else failed++;
        }
        return (passed, failed);
    }

    /// <summary>n values offset + scale·U(−1, 1) from <paramref name="rng"/> (the checks' deterministic inputs).</summary>
    internal static float[] Uniform(Random rng, long n, double scale, double offset = 0)
    {
        var a = new float[n];
        for (long k = 0; k < n; k++) a[k] = (float)(offset + scale * (2 * rng.NextDouble() - 1));
        return a;
    }

    /// <summary>‖a − e‖₂ / max(‖e‖₂, 1e-30) in float64; infinite on a length mismatch or a non-finite value.</summary>
    internal static double RelativeL2(float[] a, float[] e)
    {
        if (a.Length != e.Length) return double.PositiveInfinity;
        double diff = 0, norm = 0;
        for (int k = 0; k < e.Length; k++)
        {
            double d = (double)a[k] - e[k];
            diff += d * d;
            norm += (double)e[k] * e[k];
        }
        double r = Math.Sqrt(diff) / Math.Max(Math.Sqrt(norm), 1e-30);
        return double.IsFinite(r) ? r : double.PositiveInfinity;
    }
}
