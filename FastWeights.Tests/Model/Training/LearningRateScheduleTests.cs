using FastWeights.Model.Training;

namespace FastWeights.Tests.Model.Training;

public sealed class LearningRateScheduleTests
{
    private static LearningRateSchedule Make(LearningRateAnnealing decay) =>
        new() { Base = 1e-3, WarmupSteps = 10, Annealing = decay, FinalFraction = 0.1, TotalSteps = 110 };

    [TestCase(LearningRateAnnealing.Constant)]
    [TestCase(LearningRateAnnealing.Linear)]
    [TestCase(LearningRateAnnealing.Cosine)]
    public void WarmupIsLinearFromZeroToBase(LearningRateAnnealing decay)
    {
        var s = Make(decay);
        Assert.That(s.At(0), Is.EqualTo(0.0));
        Assert.That(s.At(1), Is.EqualTo(1e-4).Within(1e-15));
        Assert.That(s.At(5), Is.EqualTo(5e-4).Within(1e-15));
        Assert.That(s.At(9), Is.EqualTo(9e-4).Within(1e-15));
        Assert.That(s.At(10), Is.EqualTo(1e-3).Within(1e-15));
    }

    [Test]
    public void ConstantStaysAtBase()
    {
        var s = Make(LearningRateAnnealing.Constant);
        foreach (long step in new long[] { 10, 60, 110, 1_000_000 })
            Assert.That(s.At(step), Is.EqualTo(1e-3), $"step {step}");
    }

    [Test]
    public void LinearDecaysToFinalFraction()
    {
        var s = Make(LearningRateAnnealing.Linear);
        Assert.That(s.At(60), Is.EqualTo(1e-3 * (1 - 0.9 * 0.5)).Within(1e-15));
        Assert.That(s.At(35), Is.EqualTo(1e-3 * (1 - 0.9 * 0.25)).Within(1e-15));
        Assert.That(s.At(110), Is.EqualTo(1e-4).Within(1e-15));
        Assert.That(s.At(500), Is.EqualTo(1e-4).Within(1e-15));
    }

    [Test]
    public void CosineDecaysToFinalFraction()
    {
        var s = Make(LearningRateAnnealing.Cosine);
        Assert.That(s.At(60), Is.EqualTo(1e-3 * (0.1 + 0.9 * 0.5)).Within(1e-15));
        Assert.That(s.At(35), Is.EqualTo(1e-3 * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI / 4)))).Within(1e-15));
        Assert.That(s.At(110), Is.EqualTo(1e-4).Within(1e-15));
        Assert.That(s.At(10_000), Is.EqualTo(1e-4).Within(1e-15));
        for (long step = 11; step <= 110; step++)
            Assert.That(s.At(step), Is.LessThan(s.At(step - 1)), $"strictly decreasing at {step}");
    }

    [Test]
    public void NoWarmupStartsAtBase()
    {
        var s = new LearningRateSchedule { Base = 0.5, Annealing = LearningRateAnnealing.Linear, FinalFraction = 0, TotalSteps = 4 };
        Assert.That(Enumerable.Range(0, 6).Select(k => s.At(k)), Is.EqualTo(new[] { 0.5, 0.375, 0.25, 0.125, 0.0, 0.0 }));
    }

    [Test]
    public void InvalidSchedulesNameTheProperty()
    {
        (LearningRateSchedule Schedule, string Name)[] bad =
        [
            (new() { Base = -1 }, "Base"),
            (new() { Base = double.NaN }, "Base"),
            (new() { Base = double.PositiveInfinity }, "Base"),
            (new() { Base = 1, WarmupSteps = -1 }, "WarmupSteps"),
            (new() { Base = 1, Annealing = (LearningRateAnnealing)7 }, "Annealing"),
            (new() { Base = 1, FinalFraction = 1.5 }, "FinalFraction"),
            (new() { Base = 1, FinalFraction = -0.1 }, "FinalFraction"),
            (new() { Base = 1, WarmupSteps = 10, TotalSteps = 5 }, "TotalSteps"),
        ];
        foreach (var (schedule, name) in bad)
        {
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(schedule.Validate)!.ParamName, Is.EqualTo(name));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => schedule.At(0))!.ParamName, Is.EqualTo(name));
        }
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Make(LearningRateAnnealing.Cosine).At(-1))!.ParamName, Is.EqualTo("step"));
    }
}
