using FastWeights.Kernels.Core;
using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Bench.Cli;

/// <summary>
/// The device flags every command shares (--accelerator, --schedule) and the names the commands print for a device,
/// a schedule and a fast-weight form.
/// </summary>
internal static class DeviceOptions
{
    /// <summary>The values of --accelerator.</summary>
    public static readonly string[] Accelerators = ["auto", "cpu", "cuda"];

    /// <summary>The values of --schedule.</summary>
    public static readonly string[] Schedules = ["auto", "group", "thread", "host"];

    /// <summary>
    /// Opens the accelerator: cpu → the default CPU device, or the NVIDIA-shaped CPU device when the group
    /// schedule is asked for (the default CPU device's groups of ≤ 16 threads do not suit it); cuda → the
    /// first CUDA device; auto → CUDA when present, else the CPU rule.
    /// </summary>
    public static ComputeDevice OpenDevice(string accelerator, SweepSchedule schedule)
    {
        var cpuKind = schedule == SweepSchedule.Group ? AcceleratorKind.CpuNvidia : AcceleratorKind.Cpu;
        switch (accelerator)
        {
            case "cpu":
                return ComputeDevice.Open(cpuKind);
            case "cuda":
                if (!ComputeDevice.CudaAvailable())
                    throw new CommandInputException("--accelerator cuda was asked for, but no CUDA device is visible to ILGPU on this machine.");
                return ComputeDevice.Open(AcceleratorKind.Cuda);
            case "auto":
                if (schedule != SweepSchedule.Group) return ComputeDevice.Open(AcceleratorKind.Auto);
                return ComputeDevice.CudaAvailable() ? ComputeDevice.Open(AcceleratorKind.Cuda) : ComputeDevice.Open(cpuKind);
            default:
                throw new CommandInputException($"unknown accelerator '{accelerator}'; expected one of {string.Join(", ", Accelerators)}.");
        }
    }

    /// <summary>--schedule NAME → the sweep schedule (auto, group, thread, host), or a one-line error naming --schedule.</summary>
    public static SweepSchedule ParseSchedule(string schedule) => ParseChoice(schedule, Schedules, "--schedule") switch
    {
        "group" => SweepSchedule.Group,
        "thread" => SweepSchedule.Thread,
        "host" => SweepSchedule.Host,
        _ => SweepSchedule.Auto,
    };

    /// <summary>The name printed for a device: cpu, cpu-nvidia, cuda.</summary>
    public static string KindName(AcceleratorKind kind) => kind switch
    {
        AcceleratorKind.Cpu => "cpu",
        AcceleratorKind.CpuNvidia => "cpu-nvidia",
        AcceleratorKind.Cuda => "cuda",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>The lower-case name printed for a schedule.</summary>
    public static string ScheduleName(SweepSchedule schedule) => schedule.ToString().ToLowerInvariant();

    /// <summary>The lower-case name printed for a form.</summary>
    public static string FormName(FastWeightForm form) => form.ToString().ToLowerInvariant();

    /// <summary><paramref name="value"/> when it is one of <paramref name="choices"/>, else a one-line error naming <paramref name="option"/>.</summary>
    public static string ParseChoice(string value, string[] choices, string option) =>
        choices.Contains(value, StringComparer.Ordinal)
            ? value
            : throw new CommandInputException($"{option} must be one of {string.Join(", ", choices)}, but is '{value}'.");
}
