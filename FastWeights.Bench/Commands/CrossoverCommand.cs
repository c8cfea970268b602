using System.CommandLine;
using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Kernels.Core;
using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Bench.Commands;

/// <summary>
/// <c>crossover [--batch B] [--input I] [--inner S] [--decay λ] [--hidden H,…] [--time T,…] [--repeat N] [--accelerator …]</c>:
/// the training step (forward + backward) of the matrix form and of the attention form over a (H, T) grid, each
/// timed <c>--repeat</c> times interleaved (matrix, attention, matrix, …) so that a disturbance on a shared machine
/// hits both; prints a markdown table of the minimum times and their ratio, then for every H the crossover
/// T* (geometric mean of the last T the attention form won and the first it lost) and ρ = T*/H, the constant of
/// <see cref="FormPolicy"/>.
/// </summary>
internal static class CrossoverCommand
{
    public const string Name = "crossover";

    public static Command Create()
    {
        var batch = LayerShapeOptions.Size("--batch", "B", 32);
        var input = LayerShapeOptions.Size("--input", "I", 64);
        var inner = LayerShapeOptions.InnerSteps();
        var decay = LayerShapeOptions.Decay();
        var hidden = new Option<string>("--hidden") { Description = "Comma-separated H values.", DefaultValueFactory = _ => "16,32,64,128" };
        var time = new Option<string>("--time") { Description = "Comma-separated T values, ascending.", DefaultValueFactory = _ => "8,16,32,64,128,256" };
        var repeat = LayerShapeOptions.Repeat("Timed training steps per form and shape (>= 1); the minimum is used.", 3);
        var accelerator = LayerShapeOptions.Accelerator("cpu");
        var command = new Command(Name, "Measure where the attention form beats the matrix form (training step time over a (H, T) grid).")
        {
            batch, input, inner, decay, hidden, time, repeat, accelerator,
        };
        command.SetAction(parse => Run(
            parse.GetValue(batch), parse.GetValue(input), parse.GetValue(inner), parse.GetValue(decay),
            parse.GetValue(hidden)!, parse.GetValue(time)!, parse.GetValue(repeat), parse.GetValue(accelerator)!,
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    public static int Run(int batch, int input, int inner, double decay, string hiddenList, string timeList, int repeat,
        string accelerator, TextWriter stdout, TextWriter stderr) =>
        CommandErrors.Guard(Name, stderr, () =>
        {
            LayerShapeOptions.RequireRepeats(repeat);
            var hiddens = ParseList(hiddenList, "--hidden");
            var times = ParseList(timeList, "--time");
            foreach (int h in hiddens)
                foreach (int t in times)
                    MemoryCommand.Compute(batch, t, input, h, inner, decay); // same size checks as `memory`
            using var device = DeviceOptions.OpenDevice(accelerator, SweepSchedule.Auto);
            // Both forms' layers and buffers are alive at once for a cell; refuse the largest cell before allocating any.
            long largest = 0;
            foreach (int h in hiddens)
                foreach (int t in times)
                {
                    FastWeightRnnOptions Cell(FastWeightForm form) => new()
                    {
                        InputSize = input, HiddenSize = h, InnerSteps = inner, Decay = decay, Form = form,
                    };
                    long cell = LayerTimer.DeviceBytes(Cell(FastWeightForm.Matrix), batch, t);
                    long attention = LayerTimer.DeviceBytes(Cell(FastWeightForm.Attention), batch, t);
                    cell = cell > long.MaxValue - attention ? long.MaxValue : cell + attention;
                    largest = Math.Max(largest, cell);
                }
            ResourceCheck.RequireDeviceFits(device, largest,
                $"--batch {batch} --input {input} --inner {inner} --hidden {hiddenList} --time {timeList} (both forms' workspaces and buffers at the largest cell)");
            string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
            stdout.WriteLine($"# crossover on {DeviceOptions.KindName(device.Kind)} \"{device.Accelerator.Name}\", B={batch} I={input} S={inner} "
                + $"decay={decay.ToString(CultureInfo.InvariantCulture)}, training step = forward + backward, minimum of {repeat}");
            stdout.WriteLine("| H | T | matrix ms | attention ms | attention / matrix | faster |");
            stdout.WriteLine("|---:|---:|---:|---:|---:|---|");
            var summary = new List<string>();
            foreach (int h in hiddens)
            {
                int? lastWin = null, firstLoss = null;
                foreach (int t in times)
                {
                    var (matrix, attention) = Measure(device.Accelerator, batch, input, inner, decay, h, t, repeat);
                    double ratio = attention / matrix;
                    stdout.WriteLine($"| {h} | {t} | {F(matrix)} | {F(attention)} | {F(ratio)} | {(ratio < 1 ? "attention" : "matrix")} |");
                    if (ratio < 1 && firstLoss is null) lastWin = t;
                    if (ratio >= 1 && firstLoss is null) firstLoss = t;
                }
                summary.Add(lastWin switch
                {
                    null => $"H={h}: the matrix form won at every T (crossover below T={times[0]}, ρ < {F((double)times[0] / h)})",
                    _ when firstLoss is null => $"H={h}: the attention form won at every T (crossover above T={times[^1]}, ρ > {F((double)times[^1] / h)})",
                    _ => $"H={h}: crossover T* ≈ {F(Math.Sqrt((double)lastWin * firstLoss!.Value))} (between {lastWin} and {firstLoss}), ρ = T*/H ≈ {F(Math.Sqrt((double)lastWin * firstLoss.Value) / h)}",
                });
            }
            stdout.WriteLine();
            foreach (var line in summary) stdout.WriteLine(line);
            string Ratio(double r) => r.ToString(CultureInfo.InvariantCulture);
            stdout.WriteLine($"rule in use: on the host schedule (the CPU default) attention when H >= {FormPolicy.HostAttentionMinimumHidden} and T <= {Ratio(FormPolicy.HostCrossoverRatio)}·H; "
                + $"on the thread schedule when T <= {Ratio(FormPolicy.CpuCrossoverRatio)}·H");
            return 0;
        });

    /// <summary>Minimum training-step milliseconds of the matrix and the attention form, interleaved.</summary>
    private static (double Matrix, double Attention) Measure(ILGPU.Runtime.Accelerator accelerator,
        int batch, int input, int inner, double decay, int hidden, int time, int repeat)
    {
        FastWeightRnnOptions Options(FastWeightForm form) => new()
        {
            InputSize = input, HiddenSize = hidden, InnerSteps = inner, Decay = decay, Schedule = SweepSchedule.Auto, Form = form,
        };
        using var matrix = new LayerTimer(accelerator, Options(FastWeightForm.Matrix), batch, time);
        using var attention = new LayerTimer(accelerator, Options(FastWeightForm.Attention), batch, time);
        double bestMatrix = double.MaxValue, bestAttention = double.MaxValue;
        for (int r = 0; r < repeat; r++)
        {
            bestMatrix = Math.Min(bestMatrix, matrix.ForwardMs() + matrix.BackwardMs());
            bestAttention = Math.Min(bestAttention, attention.ForwardMs() + attention.BackwardMs());
        }
        return (bestMatrix, bestAttention);
    }

    internal static int[] ParseList(string list, string option)
    {
        var parts = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new CommandInputException($"{option} needs at least one value.");
        var values = new int[parts.Length];
        for (int k = 0; k < parts.Length; k++)
            if (!int.TryParse(parts[k], NumberStyles.Integer, CultureInfo.InvariantCulture, out values[k]) || values[k] < 1)
                throw new CommandInputException($"{option}: '{parts[k]}' is not an integer >= 1.");
        for (int k = 1; k < values.Length; k++)
            if (values[k] <= values[k - 1]) throw new CommandInputException($"{option} must be ascending, got {list}.");
        return values;
    }
}
