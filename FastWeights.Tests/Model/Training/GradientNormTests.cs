using FastWeights.Model.Parameters;
using FastWeights.Model.Training;

namespace FastWeights.Tests.Model.Training;

public sealed class GradientNormTests : AcceleratorFixture
{
    private static readonly (string, int[])[] Specs =
    [
        ("n.w", [3, 5]),
        ("n.big", [4099]),
        ("n.b", [1]),
        ("n.c", [2, 2049]),
    ];

    private static TinyModule WithGradients(int seed)
    {
        var module = new TinyModule(Specs);
        var rng = new Random(seed);
        foreach (Parameter p in module.Parameters)
        {
            var g = new float[p.Length];
            for (int i = 0; i < g.Length; i++) g[i] = (float)(rng.NextDouble() * 6 - 3);
            TinyModule.SetGrad(p, g);
        }
        return module;
    }

    [Test]
    public void MatchesFloat64HostNormAndIsBitIdenticalRunToRun()
    {
        using var module = WithGradients(21);
        double sum = 0;
        foreach (Parameter p in module.Parameters)
            foreach (float g in p.DownloadGrad()) sum += (double)g * g;
        double expected = Math.Sqrt(sum);

        using var norm = new GradientNorm(Acc, module.Parameters);
        double first = norm.Compute(Acc.DefaultStream);
        Assert.That(Math.Abs(first - expected) / expected, Is.LessThanOrEqualTo(1e-6));
        for (int run = 0; run < 3; run++)
            Assert.That(BitConverter.DoubleToInt64Bits(norm.Compute(Acc.DefaultStream)), Is.EqualTo(BitConverter.DoubleToInt64Bits(first)));

        using var again = new GradientNorm(Acc, module.Parameters);
        Assert.That(BitConverter.DoubleToInt64Bits(again.Compute(Acc.DefaultStream)), Is.EqualTo(BitConverter.DoubleToInt64Bits(first)));
    }

    [Test]
    public void ZeroGradientsGiveZeroAndAllOnesGiveSqrtOfCount()
    {
        using var module = new TinyModule(Specs);
        using var norm = new GradientNorm(Acc, module.Parameters);
        Assert.That(norm.Compute(Acc.DefaultStream), Is.EqualTo(0.0));
        long count = 0;
        foreach (Parameter p in module.Parameters)
        {
            TinyModule.SetGrad(p, Enumerable.Repeat(1f, (int)p.Length).ToArray());
            count += p.Length;
        }
        Assert.That(norm.Compute(Acc.DefaultStream), Is.EqualTo(Math.Sqrt(count)));
    }

    [Test]
    public void NonFiniteGradientGivesNonFiniteNorm()
    {
        using var module = WithGradients(2);
        var g = module.Parameters[1].DownloadGrad();
        g[4000] = float.NaN;
        TinyModule.SetGrad(module.Parameters[1], g);
        using var norm = new GradientNorm(Acc, module.Parameters);
        Assert.That(double.IsNaN(norm.Compute(Acc.DefaultStream)));
    }

    [Test]
    public void ClipScaleCases()
    {
        Assert.That(GradientNorm.ClipScale(0.5, 1.0), Is.EqualTo(1.0));
        Assert.That(GradientNorm.ClipScale(0.0, 1.0), Is.EqualTo(1.0));
        Assert.That(GradientNorm.ClipScale(1.0, 1.0), Is.EqualTo(1.0 / (1.0 + 1e-6)));
        Assert.That(GradientNorm.ClipScale(10.0, 1.0), Is.EqualTo(1.0 / (10.0 + 1e-6)));
        Assert.That(GradientNorm.ClipScale(10.0, 0.0), Is.EqualTo(1.0), "maxNorm 0: no clipping");
        Assert.That(GradientNorm.ClipScale(10.0, -1.0), Is.EqualTo(1.0), "maxNorm < 0: no clipping");
        Assert.That(GradientNorm.ClipScale(10.0, double.PositiveInfinity), Is.EqualTo(1.0), "maxNorm ∞: no clipping");
        Assert.That(GradientNorm.ClipScale(double.PositiveInfinity, 1.0), Is.EqualTo(0.0));
        Assert.That(double.IsNaN(GradientNorm.ClipScale(double.NaN, 1.0)));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => GradientNorm.ClipScale(-1.0, 1.0))!.ParamName, Is.EqualTo("norm"));
    }

    [Test]
    public void ConstructorAndComputeValidateArguments()
    {
        using var module = new TinyModule(Specs);
        Assert.That(Assert.Throws<ArgumentNullException>(() => new GradientNorm(null!, module.Parameters))!.ParamName, Is.EqualTo("accelerator"));
        Assert.That(Assert.Throws<ArgumentNullException>(() => new GradientNorm(Acc, null!))!.ParamName, Is.EqualTo("parameters"));
        Assert.That(Assert.Throws<ArgumentException>(() => new GradientNorm(Acc, []))!.ParamName, Is.EqualTo("parameters"));
        var twice = new[] { module.Parameters[2], module.Parameters[2] };
        Assert.That(Assert.Throws<ArgumentException>(() => new GradientNorm(Acc, twice))!.ParamName, Is.EqualTo("parameters"));
        var norm = new GradientNorm(Acc, module.Parameters);
        Assert.That(Assert.Throws<ArgumentNullException>(() => norm.Compute(null!))!.ParamName, Is.EqualTo("stream"));
        norm.Dispose();
        Assert.Throws<ObjectDisposedException>(() => norm.Compute(Acc.DefaultStream));
    }
}
