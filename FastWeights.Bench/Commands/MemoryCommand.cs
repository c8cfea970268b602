using System.CommandLine;
using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Bench.Commands;

/// <summary>
/// <c>memory --batch B --time T --input I --hidden H --inner S --decay λ [--budget-bytes N] [--max-copies C]</c>: prints
/// <c>workspace_bytes=N store_all_bytes=M</c>, the device memory of one training call with the layer's
/// checkpointing and with A stored at every step. With a budget, N is the budgeted workspace and the line goes on with
/// <c>unbudgeted_bytes=U checkpoint_copies=C recomputed_steps=R</c> (R: recurrence steps the backward replays per sequence).
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
        var budgetBytes = new Option<long?>("--budget-bytes")
        {
            Description = "Cap on the whole workspace in bytes (FastWeightRnnOptions.MemoryBudgetBytes); missing copies of A are recomputed.",
        };
        var maxCopies = new Option<int?>("--max-copies") { Description = "Cap on the stored copies of A (FastWeightRnnOptions.MaxCheckpointCopies)." };

        var command = new Command(Name, "Print the workspace bytes of one training call and the bytes of storing A at every step.")
        {
            batch, time, input, hidden, inner, decay, budgetBytes, maxCopies,
        };
        command.SetAction(parse => Run(
            parse.GetValue(batch), parse.GetValue(time), parse.GetValue(input), parse.GetValue(hidden),
            parse.GetValue(inner), parse.GetValue(decay), parse.GetValue(budgetBytes), parse.GetValue(maxCopies),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>Checks the sizes, prints one line <c>workspace_bytes=N store_all_bytes=M</c>.</summary>
    /// <returns>0, or <see cref="CommandErrors.InputError"/> after one line on <paramref name="stderr"/>.</returns>
    public static int Run(int batch, int time, int input, int hidden, int inner, double decay, TextWriter stdout, TextWriter stderr) =>
        Run(batch, time, input, hidden, inner, decay, null, null, stdout, stderr);

    /// <summary>
    /// As <see cref="Run(int,int,int,int,int,double,TextWriter,TextWriter)"/>; with a budget the line is
    /// <c>workspace_bytes=N store_all_bytes=M unbudgeted_bytes=U checkpoint_copies=C recomputed_steps=R</c>.
    /// </summary>
    public static int Run(int batch, int time, int input, int hidden, int inner, double decay, long? budgetBytes, int? maxCopies,
        TextWriter stdout, TextWriter stderr) =>
        CommandErrors.Guard(Name, stderr, () =>
        {
            var (workspace, storeAll) = Compute(batch, time, input, hidden, inner, decay);
            if (budgetBytes is null && maxCopies is null)
                stdout.WriteLine(Format(workspace, storeAll));
            else
                stdout.WriteLine(FormatBudgeted(ComputeBudgeted(batch, time, input, hidden, inner, decay, budgetBytes, maxCopies), storeAll, workspace));
            return 0;
        });

    /// <summary>The budgeted workspace of one full-length call.</summary>
    /// <param name="WorkspaceBytes">What the layer allocates under the budget.</param>
    /// <param name="CheckpointCopies">Copies of A in it.</param>
    /// <param name="RecomputedSteps">Recurrence steps a backward of length T replays per sequence.</param>
    public readonly record struct Budgeted(long WorkspaceBytes, int CheckpointCopies, long RecomputedSteps);

    /// <summary>
    /// The budgeted workspace; throws <see cref="CommandInputException"/> naming --budget-bytes or --max-copies
    /// (and the minimum) when the budget is below what the smallest schedule needs. Sizes must have passed <see cref="Compute"/>.
    /// </summary>
    public static Budgeted ComputeBudgeted(int batch, int time, int input, int hidden, int inner, double decay, long? budgetBytes, int? maxCopies)
    {
        if (budgetBytes is < 1) throw new CommandInputException($"--budget-bytes must be >= 1, got {budgetBytes}.");
        if (maxCopies is < 2) throw new CommandInputException($"--max-copies must be >= 2 (A(0) and A(T)), got {maxCopies}.");
        var options = new FastWeightRnnOptions
        {
            InputSize = input, HiddenSize = hidden, InnerSteps = inner, Decay = decay,
            MemoryBudgetBytes = budgetBytes, MaxCheckpointCopies = maxCopies,
        };
        try
        {
            var plan = FastWeightRnnLayer.WorkspacePlanFor(options, batch, time);
            var schedule = CheckpointPlan.For(time, plan.CheckpointInterval, plan.CheckpointCount);
            return new Budgeted(plan.TotalBytes, plan.CheckpointCount, schedule.RecomputedSteps);
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName is nameof(FastWeightRnnOptions.MemoryBudgetBytes) or nameof(FastWeightRnnOptions.MaxCheckpointCopies))
        {
            string option = e.ParamName == nameof(FastWeightRnnOptions.MemoryBudgetBytes) ? "--budget-bytes" : "--max-copies";
            throw new CommandInputException($"{option}: {e.Message.Split(" (Parameter")[0]}");
        }
    }

    /// <summary>The line printed with a budget.</summary>
    public static string FormatBudgeted(Budgeted budgeted, long storeAllBytes, long unbudgetedBytes) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Format(budgeted.WorkspaceBytes, storeAllBytes)} unbudgeted_bytes={unbudgetedBytes} checkpoint_copies={budgeted.CheckpointCopies} recomputed_steps={budgeted.RecomputedSteps}");

    /// <summary>The two byte counts; throws <see cref="CommandInputException"/> naming the option at fault.</summary>
    public static (long WorkspaceBytes, long StoreAllBytes) Compute(int batch, int time, int input, int hidden, int inner, double decay)
    {
        Positive(batch, "--batch");
        Positive(time, "--time");
        Positive(input, "--input");
        Positive(hidden, "--hidden");
        Positive(inner, "--inner");
        if (!FastWeightDecay.IsValid(decay))
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
