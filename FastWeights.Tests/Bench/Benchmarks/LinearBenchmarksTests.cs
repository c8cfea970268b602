using BenchmarkDotNet.Running;
using FastWeights.Bench.Benchmarks;
using FastWeights.Kernels.LinearFastWeights;

namespace FastWeights.Tests.Bench.Benchmarks;

/// <summary>
/// <see cref="LinearFastWeightBenchmarks"/> run directly (not through BenchmarkDotNet) on the CPU accelerator at the
/// smallest grid point: the variants compute the same y and gradients (within 1e-5 relative L2: they differ only in
/// whether W is rebuilt or read back, or summed with or without compensation), StoreAll allocates the history on top, and the suite is part of the kernels command.
/// </summary>
public sealed class LinearBenchmarksTests
{
    private static LinearFastWeightBenchmarks Smallest(string variant, UpdateRule rule) => new()
    {
        Accelerator = KernelBenchmarkEnvironment.Cpu, Variant = variant, Rule = rule,
        B = LinearBenchmarkGrid.Cpu.Batches.Min(), T = LinearBenchmarkGrid.Cpu.Times.Min(),
    };

    [TestCase(UpdateRule.Delta, "StoreAll")]
    [TestCase(UpdateRule.Sum, "StoreAll")]
    [TestCase(UpdateRule.Delta, "Plain")]
    [TestCase(UpdateRule.Sum, "Plain")]
    public void VariantsAgree_AndStoreAllTakesMoreMemory(UpdateRule rule, string variant)
    {
        var fused = Smallest("Fused", rule);
        var stored = Smallest(variant, rule);
        try
        {
            fused.GlobalSetup();
            stored.GlobalSetup();
            fused.TrainingStep();
            stored.TrainingStep();
            var a = fused.ReadOutputs();
            var b = stored.ReadOutputs();
            Assert.That(a.Keys, Is.EquivalentTo(b.Keys));
            Assert.Multiple(() =>
            {
                foreach (var name in a.Keys)
                {
                    double err = Tolerance.RelativeL2(Array.ConvertAll(a[name], v => (double)v), Array.ConvertAll(b[name], v => (double)v));
                    Assert.That(err, Is.LessThanOrEqualTo(1e-5), name);
                    Assert.That(a[name].Any(v => v != 0f), Is.True, $"{name} was written");
                }
            });
            var o = fused.Options;
            Assert.That(o.CompensatedSums, Is.True, "Fused is the default options");
            Assert.That(stored.Options.CompensatedSums, Is.EqualTo(variant != "Plain"));
            // Store-all adds W before every step and drops the rebuild's anchor slots (it rebuilds nothing).
            var plan = new LinearWorkspacePlan(fused.B, fused.T, o);
            long history = 4L * fused.B * o.Heads * fused.T * o.ValueSize * o.FeatureSize();
            long anchors = 4L * (plan.AnchorElements - 1 + plan.AnchorStepElements - 1);
            Assert.That(LinearFastWeightLayer.StoreAllBytes(o, fused.B, fused.T) - LinearFastWeightLayer.WorkspaceBytes(o, fused.B, fused.T),
                Is.EqualTo(history - 4 - anchors));
        }
        finally
        {
            fused.GlobalCleanup();
            stored.GlobalCleanup();
        }
    }

    [Test]
    public void SuiteIsRunByTheKernelsCommand()
    {
        Assert.That(KernelBenchmarkConfig.Suites, Does.Contain(typeof(LinearFastWeightBenchmarks)));
        var cases = BenchmarkConverter.TypeToBenchmarks(typeof(LinearFastWeightBenchmarks), KernelBenchmarkConfig.Create()).BenchmarksCases;
        // 3 variants × 2 rules × |B| × |T| × 3 methods on the grid of this run's accelerator.
        var g = LinearBenchmarkGrid.Current;
        Assert.That(cases, Has.Length.EqualTo(3 * 2 * g.Batches.Length * g.Times.Length * 3));
    }
}
