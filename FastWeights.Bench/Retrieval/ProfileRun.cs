using System.Diagnostics;
using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Kernels.Core;
using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Retrieval;

/// <summary>
/// `retrieval profile`: where the time of a training step goes. Each phase is run on its own and
/// synchronised, so the phases add up to a step: data (building the batch on the host), forward
/// (model forward, loss read back), backward (forward+backward minus forward), gradient norm (with its
/// read-back) and the Adam update. Medians over the measured steps, after warm-up steps.
/// </summary>
internal static class ProfileRun
{
    public static int Execute(TrainSettings settings, int steps, TextWriter stdout)
    {
        if (steps < 1) throw new CommandInputException($"--profile-steps must be ≥ 1, got {steps}.");
        var config = settings.ModelConfig;
        var data = RetrievalDataset.Create(settings.Pairs, settings.TrainSize, settings.ValidationSize, settings.TestSize, settings.DataSeed);
        using var device = DeviceOptions.OpenDevice(settings.Accelerator, SweepSchedule.Auto);
        int B = settings.Training.BatchSize;
        using var model = new RetrievalModel(device.Accelerator, config, B);
        model.Initialize(settings.Training.Seed);
        using var optimizer = new AdamOptimizer(device.Accelerator, model.Parameters, new AdamOptions { LearningRate = settings.Training.LearningRate });
        using var norm = new GradientNorm(device.Accelerator, model.Parameters);
        var sampler = new BatchSampler(data.Train, B);
        sampler.Shuffle(new Random(1));
        var tokens = new int[sampler.TokensPerBatch];
        var targets = new int[B];
        var stream = device.Accelerator.DefaultStream;
        var phases = new[] { "data", "forward", "backward", "gradient norm", "adam" };
        var times = phases.ToDictionary(p => p, _ => new List<double>());
        var sw = new Stopwatch();
        const int warmup = 3;
        for (int s = 0; s < steps + warmup; s++)
        {
            sw.Restart();
            if (!sampler.NextTrainingBatch(tokens, targets)) { sampler.Shuffle(new Random(s)); sampler.NextTrainingBatch(tokens, targets); }
            double data_ = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            model.Run(stream, tokens, targets, B, train: false);
            double forward = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            model.Run(stream, tokens, targets, B, train: true);
            double both = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            double g = norm.Compute(stream);
            double gradNorm = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            optimizer.Step(stream, (float)settings.Training.LearningRate, (float)GradientNorm.ClipScale(g, settings.Training.ClipNorm));
            stream.Synchronize();
            double adam = sw.Elapsed.TotalMilliseconds;
            if (s < warmup) continue;
            times["data"].Add(data_);
            times["forward"].Add(forward);
            times["backward"].Add(Math.Max(both - forward, 0));
            times["gradient norm"].Add(gradNorm);
            times["adam"].Add(adam);
        }
        static double Median(List<double> v) { var c = v.OrderBy(x => x).ToList(); return c[c.Count / 2]; }
        double total = phases.Sum(p => Median(times[p]));
        stdout.WriteLine($"profile: {RetrievalModelConfig.KindName(config.Kind)} R={config.Hidden} batch {B} on {device.Describe()}, schedule {model.Recurrent.Schedule.ToString().ToLowerInvariant()}, median of {steps} steps");
        stdout.WriteLine("| phase | ms per step | share |");
        stdout.WriteLine("|---|---:|---:|");
        foreach (var p in phases)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {p} | {Median(times[p]):F1} | {Median(times[p]) / total * 100:F0}% |"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| step | {total:F1} | {1000 / total:F1} steps/s |"));
        return 0;
    }
}
