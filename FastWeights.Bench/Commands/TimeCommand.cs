using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FastWeights.Kernels.FastWeightRnn;
using ILGPU;
using ILGPU.Runtime;

namespace FastWeights.Bench.Commands;

/// <summary>
/// <c>time --batch B --time T --input I --hidden H --inner S [--decay λ] [--accelerator …] [--schedule …] [--repeat N]
/// [--budget-bytes N] [--max-copies C]</c>:
/// wall time of one forward and one backward of the layer on device buffers, after a warm-up call that
/// compiles the kernels, synchronised at the end of each. Prints one line with the medians (with a budget, followed by
/// <c>checkpoint_copies=C recomputed_steps=R</c>). A quick probe; the benchmark suites with baselines are separate work.
/// </summary>
internal static class TimeCommand
{
    public const string Name = "time";

    public static Command Create()
    {
        var batch = new Option<int>("--batch") { Description = "B (>= 1).", Required = true };
        var time = new Option<int>("--time") { Description = "T (>= 1).", Required = true };
        var input = new Option<int>("--input") { Description = "I (>= 1).", Required = true };
        var hidden = new Option<int>("--hidden") { Description = "H (>= 1).", Required = true };
        var inner = new Option<int>("--inner") { Description = "S (>= 1).", DefaultValueFactory = _ => 1 };
        var decay = new Option<double>("--decay") { Description = "λ in (0, 1].", DefaultValueFactory = _ => 0.95 };
        var accelerator = new Option<string>("--accelerator") { Description = "auto|cpu|cuda.", DefaultValueFactory = _ => "auto" };
        var schedule = new Option<string>("--schedule") { Description = "auto|group|thread.", DefaultValueFactory = _ => "auto" };
        var repeat = new Option<int>("--repeat") { Description = "Timed repetitions (>= 1); the median is printed.", DefaultValueFactory = _ => 5 };
        var budgetBytes = new Option<long?>("--budget-bytes") { Description = "Workspace budget in bytes (FastWeightRnnOptions.MemoryBudgetBytes)." };
        var maxCopies = new Option<int?>("--max-copies") { Description = "Cap on the stored copies of A (FastWeightRnnOptions.MaxCheckpointCopies)." };
        var command = new Command(Name, "Time one forward and one backward of the layer on device buffers.")
        {
            batch, time, input, hidden, inner, decay, accelerator, schedule, repeat, budgetBytes, maxCopies,
        };
        command.SetAction(parse => Run(
            parse.GetValue(batch), parse.GetValue(time), parse.GetValue(input), parse.GetValue(hidden), parse.GetValue(inner),
            parse.GetValue(decay), parse.GetValue(accelerator)!, parse.GetValue(schedule)!, parse.GetValue(repeat),
            parse.GetValue(budgetBytes), parse.GetValue(maxCopies),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    public static int Run(int batch, int time, int input, int hidden, int inner, double decay, string accelerator, string schedule,
        int repeat, TextWriter stdout, TextWriter stderr) =>
        Run(batch, time, input, hidden, inner, decay, accelerator, schedule, repeat, null, null, stdout, stderr);

    public static int Run(int batch, int time, int input, int hidden, int inner, double decay, string accelerator, string schedule,
        int repeat, long? budgetBytes, int? maxCopies, TextWriter stdout, TextWriter stderr) =>
        CommandErrors.Guard(Name, stderr, () =>
        {
            if (repeat < 1) throw new CommandInputException($"--repeat must be >= 1, got {repeat}.");
            MemoryCommand.Compute(batch, time, input, hidden, inner, decay); // same size checks as `memory`
            bool budgeted = budgetBytes is not null || maxCopies is not null;
            if (budgeted) MemoryCommand.ComputeBudgeted(batch, time, input, hidden, inner, decay, budgetBytes, maxCopies);
            var sweep = LayerCommand.ParseSchedule(schedule);
            using var device = LayerCommand.OpenDevice(accelerator, sweep);
            var acc = device.Accelerator;
            using var layer = new FastWeightRnnLayer(acc, new FastWeightRnnOptions
            {
                InputSize = input, HiddenSize = hidden, InnerSteps = inner, Decay = decay, Schedule = sweep,
                MemoryBudgetBytes = budgetBytes, MaxCheckpointCopies = maxCopies,
            });
            using var workspace = layer.CreateWorkspace(batch, time);
            var rng = new Random(1);
            var buffers = new List<MemoryBuffer>();
            ArrayView<float> Random(long n, float scale)
            {
                var data = new float[n];
                for (long k = 0; k < n; k++) data[k] = scale * (2 * rng.NextSingle() - 1);
                var b = acc.Allocate1D(data);
                buffers.Add(b);
                return b.View;
            }
            try
            {
                int B = batch, T = time, I = input, H = hidden;
                var p = new FastWeightRnnParameters(Random((long)H * H, 1f / MathF.Sqrt(H)), Random((long)H * I, 1f / MathF.Sqrt(I)),
                    Random(H, 0.1f), Random(H, 0.1f), Random(H, 0.1f));
                var x = Random((long)B * T * I, 1f);
                var y = Random((long)B * T * H, 0f);
                var hT = Random((long)B * H, 0f);
                var aT = Random((long)B * H * H, 0f);
                var dy = Random((long)B * T * H, 1f);
                var dx = Random((long)B * T * I, 0f);
                var g = new FastWeightRnnParameterGradients(Random((long)H * H, 0f), Random((long)H * I, 0f), Random(H, 0f), Random(H, 0f), Random(H, 0f));
                var stream = acc.DefaultStream;
                void Forward() => layer.Forward(stream, workspace, y, hT, aT, x, default, default, p, B, T);
                void Backward() => layer.Backward(stream, workspace, dx, default, default, g, dy, default, default, x, p, B, T);

                Forward(); Backward(); stream.Synchronize();   // warm-up: first launches
                var forwardMs = new List<double>();
                var backwardMs = new List<double>();
                for (int r = 0; r < repeat; r++)
                {
                    var sw = Stopwatch.StartNew();
                    Forward(); stream.Synchronize();
                    forwardMs.Add(sw.Elapsed.TotalMilliseconds);
                    sw.Restart();
                    Backward(); stream.Synchronize();
                    backwardMs.Add(sw.Elapsed.TotalMilliseconds);
                }
                static double Median(List<double> v) { v.Sort(); return v[v.Count / 2]; }
                string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
                stdout.WriteLine(
                    $"device={LayerCommand.KindName(device.Kind)} name=\"{acc.Name}\" schedule={LayerCommand.ScheduleName(layer.Schedule)} "
                    + $"B={B} T={T} I={I} H={H} S={inner} decay={decay.ToString(CultureInfo.InvariantCulture)} K={layer.CheckpointInterval} "
                    + $"forward_ms={F(Median(forwardMs))} backward_ms={F(Median(backwardMs))} repeat={repeat} workspace_bytes={workspace.AllocatedBytes}"
                    + (budgeted ? $" checkpoint_copies={workspace.Plan.CheckpointCount} recomputed_steps={workspace.RecomputedSteps}" : ""));
                return 0;
            }
            finally
            {
                foreach (var b in buffers) b.Dispose();
            }
        });
}
