using System.CommandLine;
using System.Globalization;
using FastWeights.Bench.Capacity;
using FastWeights.Bench.Cli;
using FastWeights.Kernels.Core;
using FastWeights.Kernels.LinearFastWeights;

namespace FastWeights.Bench.Commands;

/// <summary>
/// <c>capacity [--key-size d] [--value-size m] [--pairs n1,n2,…] [--trials N] [--maps dpfp1,dpfp2,dpfp3] [--seed S]
/// [--accelerator …] [--out DIR]</c>: the sum rule against the delta rule when more pairs are written than the memory
/// has columns (<see cref="CapacityExperiment"/>). Prints a CSV table; with --out also writes capacity.csv and
/// capacity.png there.
/// </summary>
internal static class CapacityCommand
{
    public const string Name = "capacity";

    /// <summary>The CSV header (also the first line printed).</summary>
    public const string Header = "map,rule,feature_size,pairs,pairs_per_feature,mse,retrieved";

    public static Command Create()
    {
        var defaults = new CapacitySettings();
        var keySize = new Option<int>("--key-size") { Description = "d, the raw key size (d' = 2νd).", DefaultValueFactory = _ => defaults.KeySize };
        var valueSize = new Option<int>("--value-size") { Description = "m, the value size.", DefaultValueFactory = _ => defaults.ValueSize };
        var pairs = new Option<string>("--pairs") { Description = "Comma-separated pair counts n.", DefaultValueFactory = _ => string.Join(",", defaults.PairCounts) };
        var trials = new Option<int>("--trials") { Description = "Random pair sets per point (one batch).", DefaultValueFactory = _ => defaults.Trials };
        var maps = new Option<string>("--maps") { Description = "Comma-separated DPFP maps: dpfp1, dpfp2, dpfp3.", DefaultValueFactory = _ => "dpfp1,dpfp2,dpfp3" };
        var seed = new Option<int>("--seed") { Description = "Seed of keys and values.", DefaultValueFactory = _ => defaults.Seed };
        var accelerator = new Option<string>("--accelerator") { Description = "auto|cpu|cuda.", DefaultValueFactory = _ => "auto" };
        var output = new Option<string?>("--out") { Description = "Folder for capacity.csv and capacity.png (created)." };
        var command = new Command(Name, "Sum vs delta rule: retrieval error of n stored key/value pairs as n grows past the memory's d' columns.")
        {
            keySize, valueSize, pairs, trials, maps, seed, accelerator, output,
        };
        command.SetAction(p => Run(p.GetValue(keySize), p.GetValue(valueSize), p.GetValue(pairs)!, p.GetValue(trials), p.GetValue(maps)!,
            p.GetValue(seed), p.GetValue(accelerator)!, p.GetValue(output), p.InvocationConfiguration.Output, p.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>Parses, runs, prints the table and writes the files; returns the exit code (errors go to stderr).</summary>
    public static int Run(int keySize, int valueSize, string pairs, int trials, string maps, int seed, string accelerator, string? outDir,
        TextWriter stdout, TextWriter stderr) =>
        CommandErrors.Guard(Name, stderr, () =>
        {
            var settings = new CapacitySettings
            {
                KeySize = keySize, ValueSize = valueSize, Trials = trials, Seed = seed,
                PairCounts = ParseList<int>(pairs, "--pairs", s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : null)
                    .Distinct().Order().ToArray(),
                Maps = ParseList<FeatureMap>(maps, "--maps", s => s switch
                {
                    "dpfp1" => FeatureMap.Dpfp1, "dpfp2" => FeatureMap.Dpfp2, "dpfp3" => FeatureMap.Dpfp3, _ => (FeatureMap?)null,
                }).Distinct().ToArray(),
            };
            try { settings.Validate(); }
            catch (ArgumentOutOfRangeException e) { throw new CommandInputException(e.Message.Split(" (Parameter")[0]); }

            // Refuse what cannot fit before anything is allocated (docs/reliability.md).
            (long hostBytes, long deviceBytes) = (0, 0);
            try { (hostBytes, deviceBytes) = CapacityExperiment.Bytes(settings); }
            catch (ArgumentOutOfRangeException e) { throw new CommandInputException("--trials, --pairs, --key-size, --value-size: the layer refuses these sizes: " + e.Message.Split(" (Parameter")[0]); }
            ResourceCheck.RequireHostFits(hostBytes, "--trials, --pairs, --key-size and --value-size");
            using var device = DeviceOptions.OpenDevice(accelerator, SweepSchedule.Auto);
            ResourceCheck.RequireDeviceFits(device, deviceBytes, "--trials, --pairs, --key-size and --value-size");
            var points = CapacityExperiment.Run(device.Accelerator, settings);
            var lines = new List<string> { Header };
            lines.AddRange(points.Select(Row));
            foreach (var line in lines) stdout.WriteLine(line);
            if (outDir is not null)
            {
                Directory.CreateDirectory(outDir);
                File.WriteAllLines(Path.Combine(outDir, "capacity.csv"), lines);
                string title = $"d={settings.KeySize}, m={settings.ValueSize}, {settings.Trials} trials";
                CapacityPlot.Save(Path.Combine(outDir, "capacity.png"), points, title);
                stdout.WriteLine($"# wrote {Path.Combine(outDir, "capacity.csv")} and capacity.png on {device.Accelerator.Name} ({device.Accelerator.AcceleratorType})");
            }
            return 0;
        });

    /// <summary>One CSV row.</summary>
    public static string Row(CapacityPoint p) => string.Join(",",
        CapacityPlot.MapName(p.Map), CapacityPlot.RuleName(p.Rule), p.FeatureSize.ToString(CultureInfo.InvariantCulture),
        p.Pairs.ToString(CultureInfo.InvariantCulture), ((double)p.Pairs / p.FeatureSize).ToString("G4", CultureInfo.InvariantCulture),
        p.MeanSquaredError.ToString("G4", CultureInfo.InvariantCulture), p.RetrievedFraction.ToString("G4", CultureInfo.InvariantCulture));

    private static List<T> ParseList<T>(string text, string option, Func<string, T?> parse) where T : struct
    {
        var result = new List<T>();
        foreach (var item in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            result.Add(parse(item) ?? throw new CommandInputException($"{option}: cannot read '{item}'."));
        if (result.Count == 0) throw new CommandInputException($"{option} names nothing.");
        return result;
    }
}
