using FastWeights.Kernels.LinearFastWeights;

namespace FastWeights.Tests.Kernels.LinearFastWeights;

/// <summary>
/// Running T = T1 + T2 steps as two calls with (WT, zT) of the first passed as (W0, z0) of the second equals one call,
/// and the gradients flow through the carry: the second call's dW0/dz0, given as the first call's dWT/dzT, yield the
/// one-call gradients. Thread and group schedules; every rule with its state. The forward (y, WT, zT) within 1e-6
/// relative L2: one call keeps W and z as compensated sums across the split, while the carry hands over WT rounded once
/// to float32 without its compensation term (about u ≈ 6e-8 relative per element, then carried through T2 steps).
/// Gradients within 1e-5 relative L2, since the backward rebuilds W over a shorter span and so rounds differently.
/// </summary>
public sealed class LinearFastWeightStateCarryTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var schedule in new[] { SweepSchedule.Thread, SweepSchedule.Group })
            foreach (var (rule, normalize) in new[] { (UpdateRule.Delta, true), (UpdateRule.Sum, true), (UpdateRule.Sum, false), (UpdateRule.Delta, false) })
                yield return new TestCaseData(schedule, rule, normalize).SetName($"Carry_{schedule}_{rule}{(normalize ? "_norm" : "")}");
    }

    /// <summary>Without compensation the split loses nothing: the forward is bit-identical (same operations, same order).</summary>
    [TestCase(SweepSchedule.Thread, UpdateRule.Sum, true)]
    [TestCase(SweepSchedule.Group, UpdateRule.Delta, true)]
    public void WithoutCompensation_TheForwardIsBitIdentical(SweepSchedule schedule, UpdateRule rule, bool normalize)
    {
        const int B = 2, T = 10, T1 = 4, H = 2, d = 3, m = 4;
        var cfg = new LinearReferenceConfig(B, T, H, d, m, FeatureMap.Dpfp2, rule, normalize);
        var c = LinearReferenceCase.Random(cfg, seed: 11);
        var whole = LinearRunner.Run(c, schedule, backward: false, compensated: false);
        LinearReferenceCase Part(int t0, int t1, double[]? w0, double[]? z0) => new()
        {
            Config = cfg with { Time = t1 - t0 },
            Q = Slice(c.Q, B, T, t0, t1, H * d), K = Slice(c.K, B, T, t0, t1, H * d), V = Slice(c.V, B, T, t0, t1, H * m),
            Beta = c.Beta is null ? null : Slice(c.Beta, B, T, t0, t1, H), Dy = Slice(c.Dy, B, T, t0, t1, H * m),
            W0 = w0, Z0 = z0,
        };
        static double[]? D(float[]? a) => a is null ? null : Array.ConvertAll(a, v => (double)v);
        var first = LinearRunner.Run(Part(0, T1, c.W0, c.Z0), schedule, backward: false, compensated: false);
        var second = LinearRunner.Run(Part(T1, T, D(first.WT), D(first.ZT)), schedule, backward: false, compensated: false);
        var joined = new float[whole.Y.Length];
        for (int b = 0; b < B; b++)
        {
            Array.Copy(first.Y, b * T1 * H * m, joined, b * T * H * m, T1 * H * m);
            Array.Copy(second.Y, b * (T - T1) * H * m, joined, (b * T + T1) * H * m, (T - T1) * H * m);
        }
        Assert.Multiple(() =>
        {
            Assert.That(joined, Is.EqualTo(whole.Y), "y bit-identical");
            Assert.That(second.WT, Is.EqualTo(whole.WT), "wT bit-identical");
            if (whole.ZT is not null) Assert.That(second.ZT, Is.EqualTo(whole.ZT), "zT bit-identical");
        });
    }

    /// <summary>[B,T,heads·width] rows t0..t1−1 of every sequence.</summary>
    private static double[] Slice(double[] a, int batch, int time, int t0, int t1, int width) =>
        TimeWindows.Slice(a, batch, time, width, t0, t1 - t0);

    [TestCaseSource(nameof(Cases))]
    public void TwoHalvesEqualOneRun(SweepSchedule schedule, UpdateRule rule, bool normalize)
    {
        const int B = 2, T = 10, T1 = 4, H = 2, d = 3, m = 4;
        var cfg = new LinearReferenceConfig(B, T, H, d, m, FeatureMap.Dpfp2, rule, normalize);
        var c = LinearReferenceCase.Random(cfg, seed: 11);
        var whole = LinearRunner.Run(c, schedule);

        LinearReferenceCase Part(int t0, int t1, double[]? w0, double[]? z0, double[]? dwT, double[]? dzT) => new()
        {
            Config = cfg with { Time = t1 - t0 },
            Q = Slice(c.Q, B, T, t0, t1, H * d), K = Slice(c.K, B, T, t0, t1, H * d), V = Slice(c.V, B, T, t0, t1, H * m),
            Beta = c.Beta is null ? null : Slice(c.Beta, B, T, t0, t1, H), Dy = Slice(c.Dy, B, T, t0, t1, H * m),
            W0 = w0, Z0 = z0, DwT = dwT, DzT = dzT,
        };
        static double[]? D(float[]? a) => a is null ? null : Array.ConvertAll(a, v => (double)v);

        // Forward of the first half only gives the carried state; the second half's backward gives dW0/dz0 for the first.
        var first = LinearRunner.Run(Part(0, T1, c.W0, c.Z0, null, null), schedule, backward: false);
        var second = LinearRunner.Run(Part(T1, T, D(first.WT), D(first.ZT), c.DwT, c.DzT), schedule);
        var firstWithGrad = LinearRunner.Run(Part(0, T1, c.W0, c.Z0, D(second.DW0), D(second.DZ0)), schedule);

        double Err(float[] partA, float[] partB, float[] all, int width)
        {
            var joined = new double[all.Length];
            for (int b = 0; b < B; b++)
            {
                Array.Copy(Array.ConvertAll(partA, v => (double)v), b * T1 * width, joined, b * T * width, T1 * width);
                Array.Copy(Array.ConvertAll(partB, v => (double)v), b * (T - T1) * width, joined, (b * T + T1) * width, (T - T1) * width);
            }
            return Tolerance.RelativeL2(joined, Array.ConvertAll(all, v => (double)v));
        }
        double Same(float[] a, float[] b) => Tolerance.RelativeL2(Array.ConvertAll(a, v => (double)v), Array.ConvertAll(b, v => (double)v));

        Assert.Multiple(() =>
        {
            Assert.That(Err(firstWithGrad.Y, second.Y, whole.Y, H * m), Is.LessThanOrEqualTo(1e-6), "y");
            Assert.That(Same(second.WT, whole.WT), Is.LessThanOrEqualTo(1e-6), "wT");
            if (whole.ZT is not null) Assert.That(Same(second.ZT!, whole.ZT), Is.LessThanOrEqualTo(1e-6), "zT");
            Assert.That(Err(firstWithGrad.DQ!, second.DQ!, whole.DQ!, H * d), Is.LessThanOrEqualTo(1e-5), "dq");
            Assert.That(Err(firstWithGrad.DK!, second.DK!, whole.DK!, H * d), Is.LessThanOrEqualTo(1e-5), "dk");
            Assert.That(Err(firstWithGrad.DV!, second.DV!, whole.DV!, H * m), Is.LessThanOrEqualTo(1e-5), "dv");
            if (whole.DBeta is not null) Assert.That(Err(firstWithGrad.DBeta!, second.DBeta!, whole.DBeta, H), Is.LessThanOrEqualTo(1e-5), "dbeta");
            Assert.That(Same(firstWithGrad.DW0!, whole.DW0!), Is.LessThanOrEqualTo(1e-5), "dw0 through the carry");
            if (whole.DZ0 is not null) Assert.That(Same(firstWithGrad.DZ0!, whole.DZ0), Is.LessThanOrEqualTo(1e-5), "dz0 through the carry");
        });
    }
}
