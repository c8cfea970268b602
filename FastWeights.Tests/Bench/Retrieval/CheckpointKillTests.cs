using System.Diagnostics;
using FastWeights.Bench.Cli;
using FastWeights.Bench.Commands;
using FastWeights.Bench.Runs;
using FastWeights.Kernels.Interop;
using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Model.Training;

namespace FastWeights.Tests.Bench.Retrieval;

/// <summary>
/// Fault injection: `retrieval` runs in a child process that saves a checkpoint at every step, and is killed with SIGKILL
/// at random moments — half of the trials at a random time, half the moment a save's temporary folder appears (inside
/// the checkpoint write). After each kill the run folder's checkpoint must load, and `--resume` must continue from it
/// bit-exactly: two more steps give exactly the parameters an uninterrupted run has at that step.
/// </summary>
[NonParallelizable]
public sealed class CheckpointKillTests() : TempFolderFixture("fw-kill-")
{
    private const int Trials = 24;
    private static readonly string[] RunOptions =
        ["--hidden", "4", "--batch", "8", "--train-size", "200", "--val-size", "8", "--test-size", "8", "--eval-every", "1",
         "--steps", "100000", "--target-accuracy", "none", "--accelerator", "cpu"];

    /// <summary>The same run in process, one step at a time: the parameters (as bits) after every step.</summary>
    private sealed class Reference : IDisposable
    {
        private readonly FastWeights.Kernels.Core.ComputeDevice device;
        private readonly RetrievalModel model;
        private readonly RetrievalTrainer trainer;
        private readonly List<uint[]> bits = [];

        public Reference()
        {
            var settings = RetrievalCommand.Defaults with
            {
                Architecture = RetrievalCommand.Defaults.Architecture with { Hidden = 4 }, TrainSize = 200, ValidationSize = 8, TestSize = 8, Steps = 100_000,
                Training = RetrievalCommand.Defaults.Training with { BatchSize = 8, AnnealingSteps = 100_000 },
            };
            var data = RetrievalDataset.Create(settings.Pairs, settings.TrainSize, settings.ValidationSize, settings.TestSize, settings.DataSeed);
            device = DeviceOptions.OpenDevice("cpu", SweepSchedule.Auto);
            model = new RetrievalModel(device.Accelerator, settings.ModelConfig, settings.Training.BatchSize);
            model.Initialize(settings.Training.Seed);
            trainer = new RetrievalTrainer(model, data, settings.Training);
            bits.Add(Current());
        }

        private uint[] Current() => model.Parameters.SelectMany(p => p.Download()).Select(BitConverter.SingleToUInt32Bits).ToArray();

        public uint[] At(long step)
        {
            while (bits.Count <= step)
            {
                trainer.TrainStep();
                bits.Add(Current());
            }
            return bits[(int)step];
        }

        public void Dispose()
        {
            trainer.Dispose();
            model.Dispose();
            device.Dispose();
        }
    }

    private static uint[] SavedBits(string checkpoint)
    {
        var file = SafeTensorsFile.Load(Path.Combine(checkpoint, Checkpoint.ModelFileName));
        return file.Tensors.SelectMany(t => file.ReadFloat32(t.Name, out _)).Select(BitConverter.SingleToUInt32Bits).ToArray();
    }

    private static Process Start(string run)
    {
        string bench = typeof(BenchCli).Assembly.Location;
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (string a in (string[])[bench, "retrieval", "--out", run, .. RunOptions]) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>checkpoint.tmp-* and checkpoint.prev: what a save killed half-way leaves.</summary>
    private static IEnumerable<string> Leftovers(string run) =>
        Directory.EnumerateDirectories(run).Select(d => Path.GetFileName(d)!).Where(n => n.StartsWith(RunFolder.CheckpointFolder + ".", StringComparison.Ordinal));

    private static bool WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout) return false;
            Thread.Sleep(1);
        }
        return true;
    }

    [Test]
    public void KilledWhileCheckpointingTheRunResumesBitExactly()
    {
        using var reference = new Reference();
        var rng = new Random(2026);
        int inWrite = 0;
        var steps = new List<long>();
        for (int trial = 0; trial < Trials; trial++)
        {
            string run = Path.Combine(root, $"trial{trial}");
            string checkpoint = Path.Combine(run, RunFolder.CheckpointFolder);
            using (var child = Start(run))
            {
                try
                {
                    // Wait for the first complete checkpoint (step 0), then kill: at a random time in the next 0.5 s, or
                    // (odd trials) as soon as a save's temporary folder exists, after a random spin of up to ~2 ms.
                    Assert.That(WaitFor(() => File.Exists(Path.Combine(checkpoint, Checkpoint.OptimizerFileName)) || child.HasExited, TimeSpan.FromSeconds(60)),
                        "the child wrote its first checkpoint");
                    Assert.That(child.HasExited, Is.False, "the child is still training");
                    if (trial % 2 == 0)
                    {
                        Thread.Sleep(rng.Next(0, 500));
                    }
                    else
                    {
                        WaitFor(() => Directory.EnumerateDirectories(run, RunFolder.CheckpointFolder + ".tmp-*").Any(), TimeSpan.FromSeconds(10));
                        Thread.SpinWait(rng.Next(0, 200_000));
                    }
                }
                finally
                {
                    child.Kill(); // SIGKILL on Unix: no handler, no flush, no cleanup
                    child.WaitForExit();
                }
            }
            bool leftover = Leftovers(run).Any();
            if (leftover) inWrite++;

            // The checkpoint loads (possibly from checkpoint.prev when the kill fell between the two renames) ...
            string located = Checkpoint.Locate(checkpoint);
            long step = long.Parse(Checkpoint.ReadMetadata(located)["train.step"], System.Globalization.CultureInfo.InvariantCulture);
            steps.Add(step);
            Assert.That(SavedBits(located), Is.EqualTo(reference.At(step)), $"trial {trial}: the checkpoint of step {step} is the run's state at that step");

            // ... and the run resumes from it (the dead child's lock is stale) and continues bit-exactly.
            var stderr = new StringWriter();
            int code = BenchCli.Invoke(["retrieval", "--resume", run, "--steps", (step + 2).ToString(System.Globalization.CultureInfo.InvariantCulture)],
                new StringWriter(), stderr);
            Assert.That(code, Is.EqualTo(0), $"trial {trial}: {stderr}");
            Assert.That(SavedBits(checkpoint), Is.EqualTo(reference.At(step + 2)), $"trial {trial}: resumed at {step}, two more steps");
            Assert.That(Leftovers(run), Is.Empty, "the resumed save cleaned up");
            Directory.Delete(run, recursive: true);
        }
        TestContext.Out.WriteLine($"{Trials} kills; {inWrite} left a save half done (a temporary or .prev folder); checkpoint steps {string.Join(",", steps)}");
        Assert.That(inWrite, Is.GreaterThan(0), "some kills must fall inside a checkpoint write for the test to mean anything");
    }

    [Test]
    public void AResumeIsRefusedWhileAnotherProcessTrainsInTheFolder()
    {
        string run = Path.Combine(root, "live");
        using var child = Start(run);
        try
        {
            Assert.That(WaitFor(() => File.Exists(Path.Combine(run, RunFolder.CheckpointFolder, Checkpoint.OptimizerFileName)), TimeSpan.FromSeconds(60)));
            var stderr = new StringWriter();
            int code = BenchCli.Invoke(["retrieval", "--resume", run], new StringWriter(), stderr);
            Assert.That(code, Is.EqualTo(1));
            Assert.That(stderr.ToString(), Does.StartWith($"retrieval: error: --resume {run}: another run (process {child.Id}) is using this folder"));
            Assert.That(child.HasExited, Is.False, "the refused resume did not disturb the running one");
        }
        finally
        {
            child.Kill();
            child.WaitForExit();
        }
    }
}
