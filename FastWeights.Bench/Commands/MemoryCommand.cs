using System.CommandLine;
using System.Globalization;
using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Bench.Commands;

/// <summary>
/// <c>memory --batch B --time T --input I --hidden H --inner S --decay λ</c>: prints
/// <c>workspace_bytes=N store_all_bytes=M</c>, the device memory of one training call with the layer's
/// checkpointing and with A stored at every step.
/// </summary>
internal static class MemoryCommand
{
    public const string Name = "memory";

    public static Command Create()
    {
        var batch = new Option<int>("--batch") { Description = "B, sequences per batch (>= 1).", Required = true };
        var time = new Option<int>("--time") { Description = "T, steps per sequence (>= 1).", Required = true };
        var input = new Option<int>("--input") { Description = "I, input width (>= 1).", Required = true };
        var hidden = new Option<int>("--hidden") { Description = "H, hidden size (>= 1).", Required = true };
        var inner = new Option<int>("--inner") { Description = "S, inner steps per time step (>= 1).", Required = true };
        var decay = new Option<double>("--decay") { Description = "λ, decay of the fast weights, in (0, 1].", Required = true };

        var command = new Command(Name, "Print the workspace bytes of one training call and the bytes of storing A at every step.")
        {
            batch, time, input, hidden, inner, decay,
        };
        command.SetAction(parse => Run(
            parse.GetValue(batch), parse.GetValue(time), parse.GetValue(input), parse.GetValue(hidden),
            parse.GetValue(inner), parse.GetValue(decay),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>Checks the sizes, prints one line <c>workspace_bytes=N store_all_bytes=M</c>.</summary>
    /// <returns>0, or <see cref="CommandErrors.InputError"/> after one line on <paramref name="stderr"/>.</returns>
    public static int Run(int batch, int time, int input, int hidden, int inner, double decay, TextWriter stdout, TextWriter stderr) =>
        CommandErrors.Guard(Name, stderr, () =>
        {
            var (workspace, storeAll) = Compute(batch, time, input, hidden, inner, decay);
            stdout.WriteLine(Format(workspace, storeAll));
            return 0;
        });

    /// <summary>The two byte counts; throws <see cref="CommandInputException"/> naming the option at fault.</summary>
    public static (long WorkspaceBytes, long StoreAllBytes) Compute(int batch, int time, int input, int hidden, int inner, double decay)
    {
        Positive(batch, "--batch");
        Positive(time, "--time");
        Positive(input, "--input");
        Positive(hidden, "--hidden");
        Positive(inner, "--inner");
        if (!(decay > 0.0 && decay <= 1.0))
            throw new CommandInputException($"--decay must lie in (0, 1], got {decay.ToString("R", CultureInfo.InvariantCulture)}.");
        if ((long)batch * time * Math.Max(hidden, input) > int.MaxValue)
            throw new CommandInputException(
                $"--batch × --time × max(--hidden, --input) = {(long)batch * time * Math.Max(hidden, input)} must be below 2^31 (the kernels use 32-bit indices).");

        // The checkpoint count ⌈T/K⌉ + 1 is computed as (T + K − 1)/K + 1 in 32-bit arithmetic by the kernel
        // library (CheckpointPolicy.CheckpointCount); with K = 1 for store-all, T + K must stay below 2^31.
        int interval = CheckpointPolicy.Interval(decay);
        if ((long)time + interval > int.MaxValue)
            throw new CommandInputException(
                $"--time {time} is too large: T + K = {(long)time + interval} (K = {interval} steps between checkpoints at this --decay) must be below 2^31, or the checkpoint count overflows.");

        long workspace = FastWeightRnnLayer.WorkspaceBytes(batch, time, input, hidden, inner, decay);
        long storeAll = FastWeightRnnLayer.StoreAllBytes(batch, time, input, hidden, inner, decay);
        return (workspace, storeAll);
    }

    public static string Format(long workspaceBytes, long storeAllBytes) =>
        string.Create(CultureInfo.InvariantCulture, $"workspace_bytes={workspaceBytes} store_all_bytes={storeAllBytes}");

    private static void Positive(int value, string option)
    {
        if (value < 1) throw new CommandInputException($"{option} must be >= 1, got {value}.");
    }
}
