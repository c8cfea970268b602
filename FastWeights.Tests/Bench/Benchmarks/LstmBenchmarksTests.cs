using BenchmarkDotNet.Running;
using FastWeights.Bench.Benchmarks;

namespace FastWeights.Tests.Bench.Benchmarks;

/// <summary>The LSTM benchmark suite, run directly at the smallest CPU case; its case grid; its place among the suites.</summary>
public sealed class LstmBenchmarksTests
{
    [TestCase("LstmLn")]
    [TestCase("HyperLstm")]
    [TestCase("GruLn")]
    public void EveryMethodRunsAndRecordsDeviceBytes(string variant)
    {
        var grid = KernelBenchmarkGrid.Cpu;
        var bench = new LstmLayerBenchmarks
        {
            Accelerator = KernelBenchmarkEnvironment.Cpu, Variant = variant, B = grid.Batches.Min(), T = grid.Times.Min(), H = grid.Hiddens.Min(),
        };
        bench.GlobalSetup();
        try
        {
            Assert.DoesNotThrow(bench.Forward);
            Assert.DoesNotThrow(bench.TrainingStep);
            Assert.DoesNotThrow(bench.TrainingStep); // a training step repeats (the HyperLSTM's backward consumes the tape)
        }
        finally
        {
            bench.GlobalCleanup();
        }
    }

    [Test]
    public void TheSuiteIsRunByTheKernelsCommand_WithTwoMethodsPerCase()
    {
        Assert.That(KernelBenchmarkConfig.Suites, Does.Contain(typeof(LstmLayerBenchmarks)));
        string? saved = Environment.GetEnvironmentVariable(KernelBenchmarkEnvironment.Variable);
        try
        {
            Environment.SetEnvironmentVariable(KernelBenchmarkEnvironment.Variable, "cpu");
            var cases = BenchmarkConverter.TypeToBenchmarks(typeof(LstmLayerBenchmarks), KernelBenchmarkConfig.Create()).BenchmarksCases;
            Assert.That(cases, Has.Length.EqualTo(2 * 3 * 2 * 2 * 2)); // methods × variants × B × T × H
        }
        finally
        {
            Environment.SetEnvironmentVariable(KernelBenchmarkEnvironment.Variable, saved);
        }
    }
}
