using System.CommandLine;
using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Bench.Commands;

/// <summary>
/// <c>time --batch B --time T --input I --hidden H --inner S [--decay λ] [--accelerator …] [--schedule …] [--form …] [--repeat N]
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
        var shape = new LayerShapeOptions();
        var decay = LayerShapeOptions.Decay();
        var accelerator = LayerShapeOptions.Accelerator();
        var schedule = new Option<string>("--schedule") { Description = "auto|group|thread|host.", DefaultValueFactory = _ => "auto" };
        var repeat = LayerShapeOptions.Repeat("Timed repetitions (>= 1); the median is printed.", 5);
        var form = new Option<string>("--form") { Description = "auto|matrix|attention: how A·v is evaluated.", DefaultValueFactory = _ => "auto" };
        var budgetBytes = new Option<long?>("--budget-bytes") { Description = "Workspace budget in bytes (FastWeightRnnOptions.MemoryBudgetBytes; matrix form)." };
        var maxCopies = new Option<int?>("--max-copies") { Description = "Cap on the stored copies of A (FastWeightRnnOptions.MaxCheckpointCopies; matrix form)." };
        var command = new Command(Name, "Time one forward and one backward of the layer on device buffers.")
        {
            shape.Batch, shape.Time, shape.Input, shape.Hidden, shape.Inner, decay, accelerator, schedule, repeat, form, budgetBytes, maxCopies,
        };
        command.SetAction(parse => Run(
            parse.GetValue(shape.Batch), parse.GetValue(shape.Time), parse.GetValue(shape.Input), parse.GetValue(shape.Hidden),
            parse.GetValue(shape.Inner), parse.GetValue(decay), parse.GetValue(accelerator)!, parse.GetValue(schedule)!, parse.GetValue(repeat), parse.GetValue(form)!,
            parse.GetValue(budgetBytes), parse.GetValue(maxCopies),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    public static int Run(int batch, int time, int input, int hidden, int inner, double decay, string accelerator, string schedule,
        int repeat, string form, TextWriter stdout, TextWriter stderr) =>
        Run(batch, time, input, hidden, inner, decay, accelerator, schedule, repeat, form, null, null, stdout, stderr);

    public static int Run(int batch, int time, int input, int hidden, int inner, double decay, string accelerator, string schedule,
        int repeat, string form, long? budgetBytes, int? maxCopies, TextWriter stdout, TextWriter stderr) =>
        CommandErrors.Guard(Name, stderr, () =>
        {
            LayerShapeOptions.RequireRepeats(repeat);
            MemoryCommand.Compute(batch, time, input, hidden, inner, decay); // same size checks as `memory`
            bool budgeted = budgetBytes is not null || maxCopies is not null;
            if (budgeted) MemoryCommand.ComputeBudgeted(batch, time, input, hidden, inner, decay, budgetBytes, maxCopies);
            var sweep = DeviceOptions.ParseSchedule(schedule);
            var shape = ParseForm(form);
            var options = new FastWeightRnnOptions
            {
                InputSize = input, HiddenSize = hidden, InnerSteps = inner, Decay = decay, Schedule = sweep, Form = shape,
                MemoryBudgetBytes = budgetBytes, MaxCheckpointCopies = maxCopies,
            };
            using var device = DeviceOptions.OpenDevice(accelerator, sweep);
            ResourceCheck.RequireDeviceFits(device, LayerTimer.DeviceBytes(options with { Schedule = sweep }, batch, time),
                $"--batch {batch} --time {time} --input {input} --hidden {hidden} --inner {inner} (workspace and buffers)");
            using var timer = new LayerTimer(device.Accelerator, options, batch, time);
            var forwardMs = new List<double>();
            var backwardMs = new List<double>();
            for (int r = 0; r < repeat; r++)
            {
                forwardMs.Add(timer.ForwardMs());
                backwardMs.Add(timer.BackwardMs());
            }
            string F(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
            var layer = timer.Layer;
            stdout.WriteLine(
                $"device={DeviceOptions.KindName(device.Kind)} name=\"{device.Accelerator.Name}\" schedule={DeviceOptions.ScheduleName(layer.Schedule)} "
                + $"form={DeviceOptions.FormName(timer.Workspace.Form)} "
                + $"B={batch} T={time} I={input} H={hidden} S={inner} decay={decay.ToString(CultureInfo.InvariantCulture)} K={layer.CheckpointInterval} "
                + $"forward_ms={F(LayerTimer.Median(forwardMs))} backward_ms={F(LayerTimer.Median(backwardMs))} repeat={repeat} workspace_bytes={timer.Workspace.AllocatedBytes}"
                + (budgeted ? $" checkpoint_copies={timer.Workspace.Plan.CheckpointCount} recomputed_steps={timer.Workspace.RecomputedSteps}" : ""));
            return 0;
        });

    /// <summary>Parses <c>--form</c>.</summary>
    internal static FastWeightForm ParseForm(string form) => form.ToLowerInvariant() switch
    {
        "auto" => FastWeightForm.Auto,
        "matrix" => FastWeightForm.Matrix,
        "attention" => FastWeightForm.Attention,
        _ => throw new CommandInputException($"--form must be auto, matrix or attention, got '{form}'."),
    };

}
