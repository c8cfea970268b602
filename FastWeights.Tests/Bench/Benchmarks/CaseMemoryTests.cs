using FastWeights.Bench.Benchmarks;
using FastWeights.Bench.Cli;

namespace FastWeights.Tests.Bench.Benchmarks;

/// <summary>
/// The `kernels` suites refuse a case the device cannot hold before allocating it, naming the bytes (docs/reliability.md):
/// the count equals what the setup then allocates (the variant's workspace as the layer reports it), and a device too
/// small for it (the CPU accelerator with the host limit lowered through FASTWEIGHTS_HOST_MEMORY_LIMIT) fails the setup
/// with that count and allocates nothing.
/// </summary>
[NonParallelizable]
public sealed class CaseMemoryTests
{
    private static FastWeightLayerBenchmarks Smallest(string variant) => KernelBenchmarksTests.Smallest(variant);

    [TestCase("Fused")]
    [TestCase("StoreAll")]
    [TestCase("PerStepLaunch")]
    [TestCase("AttentionForm")]
    public void TheCount_IsTheTensorsPlusTheWorkspaceTheSetupAllocates(string variant)
    {
        var bench = Smallest(variant);
        var s = bench.Shape;
        long b = s.Batch, t = s.Time, i = s.Input, h = s.Hidden;
        long tensors = 4 * (2 * (h * h + h * i + 3 * h) + 2 * b * t * i + 2 * b * t * h + b * h + b * h * h);
        bench.GlobalSetup();
        try
        {
            Assert.That(FastWeightLayerBenchmarks.CaseBytes(variant, s), Is.EqualTo(tensors + bench.LayerVariant.WorkspaceBytes));
        }
        finally
        {
            bench.GlobalCleanup();
        }
    }

    [Test]
    public void ACaseTheDeviceCannotHold_IsRefusedWithTheBytesBeforeAllocating()
    {
        var bench = Smallest("Fused");
        long need = FastWeightLayerBenchmarks.CaseBytes("Fused", bench.Shape);
        Environment.SetEnvironmentVariable(ResourceCheck.HostLimitVariable, "1000");
        try
        {
            var e = Assert.Throws<InvalidOperationException>(bench.GlobalSetup)!;
            Assert.That(e.Message, Does.Contain($"need {need} bytes").And.Contain("1000 bytes"));
            Assert.That(() => bench.LayerVariant, Throws.InvalidOperationException, "no variant was created");
        }
        finally
        {
            Environment.SetEnvironmentVariable(ResourceCheck.HostLimitVariable, null);
            bench.GlobalCleanup();
        }
    }

    [Test]
    public void TheLstmAndLinearSuites_CheckToo()
    {
        var lstm = new LstmLayerBenchmarks { Accelerator = KernelBenchmarkEnvironment.Cpu, Variant = "GruLn", B = 8, T = 16, I = 8, H = 32, S = 1 };
        Environment.SetEnvironmentVariable(ResourceCheck.HostLimitVariable, "1000");
        try
        {
            var e = Assert.Throws<InvalidOperationException>(lstm.GlobalSetup)!;
            Assert.That(e.Message, Does.Contain($"need {lstm.CaseBytes()} bytes"));
            Assert.That(lstm.CaseBytes(), Is.GreaterThan(FastWeights.Kernels.Gru.GruLayer.WorkspaceBytes(8, 16, 8, 32)));
        }
        finally
        {
            Environment.SetEnvironmentVariable(ResourceCheck.HostLimitVariable, null);
            lstm.GlobalCleanup();
        }
    }

    /// <summary>The linear suite: its count equals the tensors plus the workspace the setup allocates, and a small device refuses it.</summary>
    [TestCase(FastWeights.Kernels.LinearFastWeights.UpdateRule.Delta)]
    [TestCase(FastWeights.Kernels.LinearFastWeights.UpdateRule.Sum)]
    public void TheLinearSuite_CountsAndChecks(FastWeights.Kernels.LinearFastWeights.UpdateRule rule)
    {
        var bench = new LinearFastWeightBenchmarks { Accelerator = KernelBenchmarkEnvironment.Cpu, Rule = rule, B = 2, T = 8 };
        long need = LinearFastWeightBenchmarks.CaseBytes(bench.Options, 2, 8);
        Assert.That(need, Is.GreaterThan(FastWeights.Kernels.LinearFastWeights.LinearFastWeightLayer.WorkspaceBytes(bench.Options, 2, 8)));
        Environment.SetEnvironmentVariable(ResourceCheck.HostLimitVariable, "1000");
        try
        {
            var e = Assert.Throws<InvalidOperationException>(bench.GlobalSetup)!;
            Assert.That(e.Message, Does.Contain($"need {need} bytes"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(ResourceCheck.HostLimitVariable, null);
            bench.GlobalCleanup();
        }
    }
}
