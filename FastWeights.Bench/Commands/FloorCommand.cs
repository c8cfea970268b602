using System.CommandLine;
using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Bench.Floor;
using FastWeights.Kernels.Core;
using FastWeights.Kernels.FastWeightRnn;
using ILGPU.Runtime;

namespace FastWeights.Bench.Commands;

/// <summary>
/// <c>floor --batch B --time T --input I --hidden H --inner S [--accelerator …] [--repeat N]</c>: the work of one
/// training call of the matrix-form layer (<see cref="StepCost"/>), the accelerator's launch cost and multiply–add
/// rate (<see cref="Calibration"/>), the latency floor they imply for the fused layer and for one launch per step,
/// and the fused layer's measured forward and backward with their distance from the floor (docs/benchmarks.md,
/// "Latency floor").
/// </summary>
/// <remarks>
/// The floor on the ILGPU CPU accelerator: sequential multiply–adds at the rate B threads reach, plus parallel
/// multiply–adds at the rate of many threads, plus the launches the schedule needs (2 forward, 5 backward fused;
/// 3 + T(2 + 2S) + 2 forward for one launch per step, docs/benchmarks.md). On a GPU the rate of a thread-per-sequence
/// loop is not what bounds a group-per-sequence kernel; the GPU floor is derived in the docs from the counts printed
/// here, and this command's calibrated rate is printed only as a reference.
/// </remarks>
internal static class FloorCommand
{
    public const string Name = "floor";

    public static Command Create()
    {
        var shape = new LayerShapeOptions();
        var accelerator = LayerShapeOptions.Accelerator();
        var repeat = LayerShapeOptions.Repeat("Repetitions of each measurement (>= 1).", 5);
        var command = new Command(Name, "Latency floor of one training call (derived from counted work and calibrated rates) vs the measured layer.")
        {
            shape.Batch, shape.Time, shape.Input, shape.Hidden, shape.Inner, accelerator, repeat,
        };
        command.SetAction(parse => Run(parse.GetValue(shape.Batch), parse.GetValue(shape.Time), parse.GetValue(shape.Input),
            parse.GetValue(shape.Hidden), parse.GetValue(shape.Inner), parse.GetValue(accelerator)!, parse.GetValue(repeat),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>Launches of the fused matrix form: forward = projection + sweep; backward = sweep + dW + dC + (db, dg, dβ) + dx.</summary>
    public const int FusedForwardLaunches = 2, FusedBackwardLaunches = 5;

    public static int Run(int batch, int time, int input, int hidden, int inner, string accelerator, int repeat,
        TextWriter stdout, TextWriter stderr) =>
        CommandErrors.Guard(Name, stderr, () =>
        {
            LayerShapeOptions.RequireRepeats(repeat);
            MemoryCommand.Compute(batch, time, input, hidden, inner, 0.95); // same size checks as `memory`
            var cost = new StepCost(batch, time, input, hidden, inner);
            using var device = DeviceOptions.OpenDevice(accelerator, SweepSchedule.Auto);
            var acc = device.Accelerator;
            // The layer and its buffers, plus the calibration's matrices (B and 16 per core, H×H floats each, and two vectors).
            long calibrationFloats = ((long)batch + Math.Max(Environment.ProcessorCount, 1) * 16L) * ((long)hidden * hidden + 2L * hidden);
            long layerBytes = LayerTimer.DeviceBytes(new FastWeightRnnOptions
            {
                InputSize = input, HiddenSize = hidden, InnerSteps = inner, Form = FastWeightForm.Matrix,
            }, batch, time);
            ResourceCheck.RequireDeviceFits(device, layerBytes > long.MaxValue - 4 * calibrationFloats ? long.MaxValue : layerBytes + 4 * calibrationFloats,
                $"--batch {batch} --time {time} --input {input} --hidden {hidden} --inner {inner} (workspace, buffers and calibration)");
            string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

            // Where kernels run as host loops (the CPU accelerator's default), a "launch" is a fork–join of the thread pool
            // and the inner loops are SIMD over spans; elsewhere ILGPU's launch and its compiled loops.
            bool host = HostExecution.Applies(acc);
            double launchMs = host ? Calibration.HostDispatchMs(Math.Max(repeat, 20)) : Calibration.LaunchMs(acc, Math.Max(repeat, 20));
            int parallelThreads = Math.Max(Environment.ProcessorCount, 1) * 16;
            // Passes sized so one measurement does ~B·T·H² multiply–adds, like a forward's recurrence.
            double sequentialRate = host
                ? Calibration.HostMacsPerSecond(acc, batch, hidden, Math.Max(time, 1), repeat)
                : Calibration.MacsPerSecond(acc, batch, hidden, Math.Max(time, 1), repeat);
            double parallelRate = host
                ? Calibration.HostMacsPerSecond(acc, parallelThreads, hidden, (int)Math.Max(1, (long)batch * time / parallelThreads), repeat)
                : Calibration.MacsPerSecond(acc, parallelThreads, hidden, (int)Math.Max(1, (long)batch * time / parallelThreads), repeat);

            double Ms(double macs, double rate) => macs / rate * 1e3;
            long rows = (long)batch * time;
            double forwardFloor = Ms(rows * cost.ForwardSequentialMacsPerStep, sequentialRate)
                + Ms(cost.ForwardParallelMacs, parallelRate) + FusedForwardLaunches * launchMs;
            double backwardFloor = Ms(rows * cost.BackwardSequentialMacsPerStep, sequentialRate)
                + Ms(cost.BackwardParallelMacs, parallelRate) + FusedBackwardLaunches * launchMs;
            long perStepLaunches = 3 + (long)time * (2 + 2 * inner) + 2;

            using var timer = new LayerTimer(acc, new FastWeightRnnOptions
            {
                InputSize = input, HiddenSize = hidden, InnerSteps = inner, Form = FastWeightForm.Matrix,
            }, batch, time);
            var forward = new List<double>();
            var backward = new List<double>();
            for (int r = 0; r < repeat; r++)
            {
                forward.Add(timer.ForwardMs());
                backward.Add(timer.BackwardMs());
            }
            double forwardMs = forward.Min(), backwardMs = backward.Min();

            stdout.WriteLine($"device={DeviceOptions.KindName(device.Kind)} name=\"{acc.Name}\" cores={Environment.ProcessorCount} "
                + $"B={batch} T={time} I={input} H={hidden} S={inner} schedule={DeviceOptions.ScheduleName(timer.Layer.Schedule)}");
            stdout.WriteLine($"work forward_macs={cost.ForwardMacs} backward_macs={cost.BackwardMacs} "
                + $"sequential_macs_per_step={cost.ForwardSequentialMacsPerStep}+{cost.BackwardSequentialMacsPerStep} "
                + $"phases_per_step={cost.ForwardPhasesPerStep}+{cost.BackwardPhasesPerStep} "
                + $"dependent_phases={(long)time * (cost.ForwardPhasesPerStep + cost.BackwardPhasesPerStep)} "
                + $"tape_bytes={rows * cost.TapeBytesPerStep}");
            stdout.WriteLine($"calibration {(host ? "host " : "")}launch_ms={F(launchMs)} sequential_macs_per_s={F(sequentialRate)} (B={batch} threads) "
                + $"parallel_macs_per_s={F(parallelRate)} ({parallelThreads} threads)");
            if (acc.AcceleratorType == AcceleratorType.CPU)
            {
                stdout.WriteLine($"floor forward_ms={F(forwardFloor)} backward_ms={F(backwardFloor)} "
                    + $"per_step_launch_forward_ms={F(forwardFloor + (perStepLaunches - FusedForwardLaunches) * launchMs)} ({perStepLaunches} launches)");
                stdout.WriteLine($"measured forward_ms={F(forwardMs)} backward_ms={F(backwardMs)} (minimum of {repeat}) "
                    + $"forward_vs_floor={F(forwardMs / forwardFloor)} backward_vs_floor={F(backwardMs / backwardFloor)}");
            }
            else
            {
                stdout.WriteLine("floor: not derived here on a GPU (a thread-per-sequence rate does not bound the group schedule); see docs/benchmarks.md");
                stdout.WriteLine($"measured forward_ms={F(forwardMs)} backward_ms={F(backwardMs)} (minimum of {repeat})");
            }
            return 0;
        });
}
