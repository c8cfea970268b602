using BenchmarkDotNet.Running;
using FastWeights.Bench.Benchmarks;
using FastWeights.Bench.Cli;
using FastWeights.Bench.Commands;
using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Bench.Benchmarks;

/// <summary>
/// The kernel benchmark suites, run directly (not through BenchmarkDotNet) on the CPU accelerator at the smallest
/// case of the CPU grid; the parameter sources; the "Device bytes" column.
/// </summary>
public sealed class KernelBenchmarksTests
{
    /// <summary>The suite at the smallest case of the CPU grid.</summary>
    internal static FastWeightLayerBenchmarks Smallest(string variant)
    {
        var grid = KernelBenchmarkGrid.Cpu;
        return new FastWeightLayerBenchmarks
        {
            Accelerator = KernelBenchmarkEnvironment.Cpu, Variant = variant,
            B = grid.Batches.Min(), T = grid.Times.Min(), I = KernelBenchmarkGrid.Input, H = grid.Hiddens.Min(), S = grid.InnerSteps.Min(),
        };
    }

    /// <summary>Runs <paramref name="body"/> with the benchmarks' accelerator variable set to cpu, restoring it after.</summary>
    private static void OnTheCpuGrid(Action body)
    {
        string? saved = Environment.GetEnvironmentVariable(KernelBenchmarkEnvironment.Variable);
        try
        {
            Environment.SetEnvironmentVariable(KernelBenchmarkEnvironment.Variable, "cpu");
            body();
        }
        finally
        {
            Environment.SetEnvironmentVariable(KernelBenchmarkEnvironment.Variable, saved);
        }
    }

    /// <summary>The fast-weight suite's cases as BenchmarkDotNet builds them for the current accelerator variable.</summary>
    private static BenchmarkCase[] Cases() => BenchmarkConverter.TypeToBenchmarks(typeof(FastWeightLayerBenchmarks), KernelBenchmarkConfig.Create()).BenchmarksCases;

    [TestCase("Fused")]
    [TestCase("StoreAll")]
    public void EveryMethodRunsAndGivesFiniteOutputs(string variant)
    {
        var bench = Smallest(variant);
        bench.GlobalSetup();
        try
        {
            foreach (var (name, method) in new (string, Action)[] { ("Forward", bench.Forward), ("Backward", bench.Backward), ("TrainingStep", bench.TrainingStep) })
            {
                method();
                var outputs = bench.ReadOutputs();
                Assert.That(outputs.Keys, Is.EquivalentTo(new[] { "y", "hT", "AT", "dx", "dW", "dC", "db", "dLnGain", "dLnBias" }));
                foreach (var (tensor, values) in outputs)
                {
                    Assert.That(values.All(float.IsFinite), $"{variant}.{name}: {tensor} has NaN or Inf");
                    Assert.That(values.Any(v => v != 0f), $"{variant}.{name}: {tensor} is all zero");
                }
            }
        }
        finally
        {
            bench.GlobalCleanup();
        }
    }

    [Test]
    public void FusedAndStoreAllAgree()
    {
        IReadOnlyDictionary<string, float[]> Run(string variant)
        {
            var bench = Smallest(variant);
            bench.GlobalSetup();
            try
            {
                bench.TrainingStep();
                return bench.ReadOutputs();
            }
            finally
            {
                bench.GlobalCleanup();
            }
        }
        var fused = Run("Fused");
        var storeAll = Run("StoreAll");
        foreach (var (name, a) in fused)
        {
            var b = storeAll[name];
            double scale = a.Max(v => Math.Abs((double)v)) + 1e-6;
            double diff = a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
            Assert.That(diff / scale, Is.LessThan(1e-3), $"{name}: fused and store-all differ by {diff} (scale {scale})");
        }
    }

    [Test]
    public void TheCpuGridIsSmall()
    {
        var grid = KernelBenchmarkGrid.For(KernelBenchmarkEnvironment.Cpu);
        Assert.Multiple(() =>
        {
            Assert.That(grid.Batches, Is.EqualTo(new[] { 8, 32 }));
            Assert.That(grid.Times, Is.EqualTo(new[] { 16, 64 }));
            Assert.That(grid.Hiddens, Is.EqualTo(new[] { 32, 64 }));
            Assert.That(grid.InnerSteps, Is.EqualTo(new[] { 1 }));
        });
        var cuda = KernelBenchmarkGrid.For(KernelBenchmarkEnvironment.Cuda);
        Assert.Multiple(() =>
        {
            Assert.That(cuda.Batches.Max(), Is.EqualTo(256));
            Assert.That(cuda.Times.Max(), Is.EqualTo(4096));
            Assert.That(cuda.Hiddens.Min(), Is.EqualTo(32));
            Assert.That(cuda.Hiddens.Max(), Is.EqualTo(512));
            Assert.That(cuda.InnerSteps.Max(), Is.EqualTo(3));
        });
    }

    [Test]
    public void TheParamsSourcesFollowTheAccelerator()
    {
        OnTheCpuGrid(() =>
        {
            Assert.Multiple(() =>
            {
                Assert.That(FastWeightLayerBenchmarks.Accelerators, Is.EqualTo(new[] { "cpu" }));
                Assert.That(FastWeightLayerBenchmarks.Batches, Is.EqualTo(new[] { 8, 32 }));
                Assert.That(FastWeightLayerBenchmarks.Times, Is.EqualTo(new[] { 16, 64 }));
                Assert.That(FastWeightLayerBenchmarks.Hiddens, Is.EqualTo(new[] { 32, 64 }));
                Assert.That(FastWeightLayerBenchmarks.InnerSteps, Is.EqualTo(new[] { 1 }));
                Assert.That(FastWeightLayerBenchmarks.Variants, Does.Contain("Fused").And.Contain("StoreAll"));
            });
            var cases = Cases();
            int variants = LayerVariants.All.Count;
            Assert.That(cases, Has.Length.EqualTo(3 * variants * 2 * 2 * 2 * 1));
        });
    }

    [Test]
    public void TheDeviceBytesColumnReportsTheWorkspace()
    {
        OnTheCpuGrid(() =>
        {
            var cases = Cases();
            foreach (string variant in new[] { "Fused", "StoreAll" })
            {
                var bench = Smallest(variant);
                var shape = bench.Shape;
                var benchmarkCase = cases.Single(c => c.Descriptor.WorkloadMethod.Name == nameof(FastWeightLayerBenchmarks.Forward)
                    && (string)c.Parameters["Variant"] == variant && (int)c.Parameters["B"] == shape.Batch && (int)c.Parameters["T"] == shape.Time
                    && (int)c.Parameters["H"] == shape.Hidden && (int)c.Parameters["S"] == shape.InnerSteps);
                long expected = variant == "Fused"
                    ? FastWeightRnnLayer.WorkspaceBytes(shape.Batch, shape.Time, shape.Input, shape.Hidden, shape.InnerSteps, shape.Decay)
                    : FastWeightRnnLayer.StoreAllBytes(shape.Batch, shape.Time, shape.Input, shape.Hidden, shape.InnerSteps, shape.Decay);
                bench.GlobalSetup();
                try
                {
                    Assert.That(bench.LayerVariant.WorkspaceBytes, Is.EqualTo(expected));
                    Assert.That(DeviceBytesColumn.Instance.GetValue(null!, benchmarkCase), Is.EqualTo(expected.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)));
                    Assert.That(DeviceBytesColumn.Lookup(benchmarkCase), Is.EqualTo(expected));
                }
                finally
                {
                    bench.GlobalCleanup();
                }
            }
            Assert.That(FastWeightRnnLayer.StoreAllBytes(8, 16, 64, 32, 1, 0.95), Is.GreaterThan(FastWeightRnnLayer.WorkspaceBytes(8, 16, 64, 32, 1, 0.95)));
        });
    }

    [Test]
    public void TheColumnSaysNaForACaseThatNeverRan()
    {
        OnTheCpuGrid(() =>
        {
            var cases = Cases();
            // No test runs the largest CPU case's setup.
            var largest = cases.First(c => (int)c.Parameters["B"] == 32 && (int)c.Parameters["T"] == 64 && (int)c.Parameters["H"] == 64);
            Assert.That(DeviceBytesColumn.Instance.GetValue(null!, largest), Is.EqualTo("NA"));
        });
    }

    [Test]
    public void KernelsCommandRejectsAnUnknownAccelerator()
    {
        var stderr = new StringWriter();
        int code = KernelsCommand.Run("tpu", ["--list", "flat"], stderr);
        Assert.That(code, Is.EqualTo(CommandErrors.InputError));
        Assert.That(stderr.ToString(), Does.StartWith("kernels: error:"));
    }

    [Test]
    public void FilterDetection()
    {
        Assert.Multiple(() =>
        {
            Assert.That(KernelsCommand.HasFilter(["--job", "dry"]), Is.False);
            Assert.That(KernelsCommand.HasFilter(["--job", "dry", "--filter", "*Forward*"]), Is.True);
            Assert.That(KernelsCommand.HasFilter(["-f", "*"]), Is.True);
        });
    }
}
