using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.LinearFastWeights;
using FastWeights.Tests.Reference;
using FastWeights.Tests.Support;
using NUnit.Framework;

namespace FastWeights.Tests.LinearFastWeights;

[TestFixture]
public sealed class ExpandingWritesTests
{
    [Test, Explicit("exploration")]
    public void ExploreLong()
    {
        foreach (var (rule, normalize, map) in new[] { (UpdateRule.Delta, true, FeatureMap.Dpfp1), (UpdateRule.Delta, true, FeatureMap.Dpfp3), (UpdateRule.Sum, true, FeatureMap.Dpfp1), (UpdateRule.Sum, false, FeatureMap.EluPlusOne), (UpdateRule.Delta, true, FeatureMap.EluPlusOne) })
            foreach (bool state in new[] { true, false })
            {
                var cfg = new LinearReferenceConfig(1, 4096, 2, 2, 3, map, rule, normalize);
                var c = LinearReferenceCase.Random(cfg, seed: 4096 + (int)map, withState: state);
                var r = LinearRunner.Run(c, SweepSchedule.Thread, backward: false);
                TestContext.Out.WriteLine($"LONG {cfg} state={state} anchors={r.AnchorsNeeded}");
            }
    }

    [Test, Explicit("exploration")]
    public void Explore()
    {
        foreach (int T in new[] { 32, 64 })
            for (int seed = 1; seed <= 8; seed++)
            {
                var cfg = new LinearReferenceConfig(2, T, 1, 4, 5, FeatureMap.EluPlusOne, UpdateRule.Delta, false);
                var c = LinearReferenceCase.Random(cfg, seed);
                double big = LinearFastWeightReference.LargestMemoryEntry(c);
                var r = LinearRunner.Run(c, SweepSchedule.Thread);
                TestContext.Out.Write($"anchors={r.AnchorsNeeded} ");
                var errs = LinearRunner.Errors(r, LinearFastWeightReference.Forward(c), LinearFastWeightReference.Backward(c));
                TestContext.Out.WriteLine($"T={T} seed={seed} max|W|={big:E2} " + string.Join(" ", errs.Select(e => $"{e.Key}={e.Value:E1}")));
            }
    }
}
