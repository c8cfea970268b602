using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Kernels.Core;
using FastWeights.Kernels.Interop;
using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Model.Training;
using ILGPU.Runtime;

namespace FastWeights.Bench.Commands;

/// <summary>
/// `distributed-check` (hidden): the driver of the data-parallel tests (FastWeights.Tests/Model/Distributed). A small retrieval
/// model trains <c>--steps</c> steps on the CPU accelerator over <see cref="BenchProcess.Collective"/>; every rank writes
/// <c>rank&lt;r&gt;.step1.safetensors</c> (after the first step: the gradient Adam used, <c>grad.&lt;name&gt;</c>, and the
/// parameters, <c>value.&lt;name&gt;</c>, with the batch's loss and the gradient norm as metadata) and
/// <c>rank&lt;r&gt;.final.safetensors</c> (the parameters after the last step) into <c>--out</c>. Run alone it is the
/// one-process reference. <c>--fail-rank r --fail-at-step k</c> makes rank r die (SIGKILL of itself) or hang
/// (<c>--fail-mode hang</c>) before step k, for the tests that the other ranks then end instead of waiting forever.
/// </summary>
internal static class DistributedCheckCommand
{
    public const string Name = "distributed-check";

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model kind.", DefaultValueFactory = _ => "fw" };
        var batch = new Option<int>("--batch") { Description = "Global batch B.", DefaultValueFactory = _ => 8 };
        var steps = new Option<int>("--steps") { Description = "Steps to train.", DefaultValueFactory = _ => 1 };
        var hidden = new Option<int>("--hidden") { Description = "R.", DefaultValueFactory = _ => 8 };
        var output = new Option<string>("--out") { Description = "Folder for the per-rank files.", Required = true };
        var failRank = new Option<int>("--fail-rank") { Description = "The rank that fails (-1: none).", DefaultValueFactory = _ => -1 };
        var failAt = new Option<int>("--fail-at-step") { Description = "It fails before this step (1-based).", DefaultValueFactory = _ => 1 };
        var failMode = new Option<string>("--fail-mode") { Description = "die | hang.", DefaultValueFactory = _ => "die" };
        var command = new Command(Name, "Test driver of data-parallel training (see FastWeights.Tests/Model/Distributed).")
        {
            model, batch, steps, hidden, output, failRank, failAt, failMode,
        };
        command.Hidden = true;
        command.SetAction(p => CommandErrors.Guard(Name, p.InvocationConfiguration.Error, () => Run(
            RetrievalModelConfig.ParseKind(p.GetValue(model)!), p.GetValue(batch), p.GetValue(steps), p.GetValue(hidden), p.GetValue(output)!,
            p.GetValue(failRank), p.GetValue(failAt), p.GetValue(failMode)!, p.InvocationConfiguration.Output)));
        return command;
    }

    private static int Run(Model.Layers.RecurrentKind kind, int batch, int steps, int hidden, string output, int failRank, int failAt, string failMode,
        TextWriter stdout)
    {
        if (failMode is not ("die" or "hang")) throw new CommandInputException($"--fail-mode must be die or hang, got '{failMode}'.");
        if (steps < 1) throw new CommandInputException($"--steps must be ≥ 1, got {steps}.");
        var collective = BenchProcess.Collective;
        var settings = RetrievalCommand.Defaults with
        {
            Architecture = RetrievalCommand.Defaults.Architecture with { Kind = kind, Hidden = hidden }, TrainSize = 512, ValidationSize = 16, TestSize = 16,
            Training = RetrievalCommand.Defaults.Training with { BatchSize = batch },
        };
        if (batch % collective.Size != 0)
            throw new CommandInputException($"--batch {batch} does not split evenly over {collective.Size} ranks.");
        Directory.CreateDirectory(output);
        var data = RetrievalDataset.Create(settings.Pairs, settings.TrainSize, settings.ValidationSize, settings.TestSize, settings.DataSeed);
        using var device = DeviceOptions.OpenDevice("cpu", SweepSchedule.Auto);
        using var model = new RetrievalModel(device.Accelerator, settings.ModelConfig, batch / collective.Size);
        // Every rank but 0 starts from other weights: the trainer's broadcast must make them rank 0's.
        model.Initialize(settings.Training.Seed + collective.Rank);
        using var trainer = new RetrievalTrainer(model, data, settings.Training, collective);
        var clock = Stopwatch.StartNew();
        for (int step = 1; step <= steps; step++)
        {
            if (collective.Rank == failRank && step == failAt)
            {
                Console.Error.WriteLine($"{Name}: rank {failRank} fails ({failMode}) before step {step}, as asked.");
                Console.Error.Flush();
                if (failMode == "die") Process.GetCurrentProcess().Kill();
                Thread.Sleep(Timeout.Infinite);
            }
            var result = trainer.TrainStep();
            if (step == 1) Write(Path.Combine(output, $"rank{collective.Rank}.step1.safetensors"), model, withGradients: true, result);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        Write(Path.Combine(output, $"rank{collective.Rank}.final.safetensors"), model, withGradients: false, null);
        stdout.WriteLine($"{Name}: {collective.Description}: {steps} steps of batch {batch} in {seconds:F2} s");
        return 0;
    }

    private static void Write(string path, RetrievalModel model, bool withGradients, TrainStepResult? result)
    {
        var writer = new SafeTensorsWriter();
        foreach (var p in model.Parameters)
        {
            writer.Add("value." + p.Name, p.Download(), p.Shape);
            if (withGradients) writer.Add("grad." + p.Name, p.Grad.GetAsArray1D(), p.Shape);
        }
        if (result is { } r)
        {
            writer.AddMetadata("loss", r.Loss.ToString("R", CultureInfo.InvariantCulture));
            writer.AddMetadata("grad_norm", r.GradNorm.ToString("R", CultureInfo.InvariantCulture));
            writer.AddMetadata("accuracy", r.Accuracy.ToString("R", CultureInfo.InvariantCulture));
        }
        writer.Save(path);
    }
}
