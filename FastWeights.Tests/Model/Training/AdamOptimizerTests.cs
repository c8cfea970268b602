using FastWeights.Model.Parameters;
using FastWeights.Model.Training;

namespace FastWeights.Tests.Model.Training;

public sealed class AdamOptimizerTests : AcceleratorFixture
{
    /// <summary>Odd sizes, one spanning three blocks of the kernel (2048 + 2048 + 905 elements).</summary>
    private static readonly (string, int[])[] Specs =
    [
        ("a.w", [3, 5]),
        ("a.b", [7]),
        ("a.big", [5001]),
    ];

    /// <summary>Plain float64 Adam with decoupled weight decay, on host arrays.</summary>
    private sealed class ReferenceAdam(AdamOptions o, double[][] values)
    {
        public readonly double[][] P = values;
        public readonly double[][] M = values.Select(v => new double[v.Length]).ToArray();
        public readonly double[][] V = values.Select(v => new double[v.Length]).ToArray();
        public long T;

        public void Step(float[][] grads, double lr, double scale)
        {
            T++;
            double c1 = 1 - Math.Pow(o.Beta1, T), c2 = 1 - Math.Pow(o.Beta2, T);
            for (int k = 0; k < P.Length; k++)
                for (int i = 0; i < P[k].Length; i++)
                {
                    double g = grads[k][i] * scale;
                    M[k][i] = o.Beta1 * M[k][i] + (1 - o.Beta1) * g;
                    V[k][i] = o.Beta2 * V[k][i] + (1 - o.Beta2) * g * g;
                    double mHat = M[k][i] / c1, vHat = V[k][i] / c2;
                    P[k][i] -= lr * (mHat / (Math.Sqrt(vHat) + o.Epsilon) + o.WeightDecay * P[k][i]);
                }
        }
    }

    private static double MaxRelative(float[] actual, double[] expected)
    {
        double worst = 0;
        for (int i = 0; i < actual.Length; i++)
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]) / Math.Abs(expected[i]));
        return worst;
    }

    /// <summary>|a − e| relative to the largest |e| of the tensor (moments may cancel to near zero).</summary>
    private static double MaxScaled(float[] actual, double[] expected)
    {
        double scale = expected.Max(Math.Abs), worst = 0;
        for (int i = 0; i < actual.Length; i++)
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]) / scale);
        return worst;
    }

    [TestCase(0.0, 1.0f, 0.999)]
    [TestCase(0.0, 0.37f, 0.99)]
    [TestCase(0.1, 1.0f, 0.999)]
    [TestCase(0.05, 2.5f, 0.99)]
    public void MatchesFloat64Reference(double weightDecay, float gradScale, double beta2)
    {
        var options = new AdamOptions { WeightDecay = weightDecay, Beta2 = beta2 };
        using var module = TinyModule.Random(11, Specs);
        var reference = new ReferenceAdam(options, module.Values().Select(v => v.Select(x => (double)x).ToArray()).ToArray());
        using var adam = new AdamOptimizer(Acc, module.Parameters, options);
        var rng = new Random(5);
        float[] rates = [1e-2f, 2e-2f, 5e-3f, 1e-2f, 3e-2f];
        float[][] lastGrads = [];
        for (int step = 0; step < rates.Length; step++)
        {
            var grads = module.Parameters.Select(p => TinyModule.AwayFromZero(rng, p.Length, 0.01, 2.0)).ToArray();
            for (int k = 0; k < grads.Length; k++) TinyModule.SetGrad(module.Parameters[k], grads[k]);
            lastGrads = grads;
            adam.Step(Acc.DefaultStream, rates[step], gradScale);
            reference.Step(grads, rates[step], gradScale);
            Acc.Synchronize();
            for (int k = 0; k < grads.Length; k++)
            {
                string name = module.Parameters[k].Name;
                Assert.That(MaxRelative(module.Parameters[k].Download(), reference.P[k]), Is.LessThanOrEqualTo(1e-6), $"{name} value, step {step + 1}");
                Assert.That(MaxScaled(adam.State[k].M.GetAsArray1D(), reference.M[k]), Is.LessThanOrEqualTo(1e-6), $"{name} m, step {step + 1}");
                Assert.That(MaxScaled(adam.State[k].V.GetAsArray1D(), reference.V[k]), Is.LessThanOrEqualTo(1e-6), $"{name} v, step {step + 1}");
            }
        }
        Assert.That(adam.StepCount, Is.EqualTo(rates.Length));
        for (int k = 0; k < Specs.Length; k++)
            Assert.That(module.Parameters[k].DownloadGrad(), Is.EqualTo(lastGrads[k]), "Grad is only read");
    }

    [TestCase(1.0f)]
    [TestCase(0.25f)]
    public void FirstStepIsLearningRateTimesSignOfGradient(float gradScale)
    {
        using var module = TinyModule.Random(3, Specs);
        float[][] before = module.Values();
        using var adam = new AdamOptimizer(Acc, module.Parameters, new AdamOptions());
        var rng = new Random(9);
        var grads = module.Parameters.Select(p => TinyModule.AwayFromZero(rng, p.Length, 0.01, 5.0)).ToArray();
        for (int k = 0; k < grads.Length; k++) TinyModule.SetGrad(module.Parameters[k], grads[k]);
        const float lr = 1e-2f;
        adam.Step(Acc.DefaultStream, lr, gradScale);
        Acc.Synchronize();
        for (int k = 0; k < grads.Length; k++)
        {
            float[] after = module.Parameters[k].Download();
            for (int i = 0; i < after.Length; i++)
            {
                double delta = after[i] - before[k][i];
                Assert.That(delta, Is.EqualTo(-lr * Math.Sign(grads[k][i])).Within(1e-4 * lr), $"{module.Parameters[k].Name}[{i}]");
            }
        }
    }

    [Test]
    public void ZeroGradScaleWithoutDecayLeavesValuesAndCountsTheStep()
    {
        using var module = TinyModule.Random(4);
        float[][] before = module.Values();
        foreach (Parameter p in module.Parameters) TinyModule.SetGrad(p, Enumerable.Repeat(3f, (int)p.Length).ToArray());
        using var adam = new AdamOptimizer(Acc, module.Parameters, new AdamOptions());
        adam.Step(Acc.DefaultStream, 0.1f, 0f);
        Acc.Synchronize();
        Assert.That(module.Values(), Is.EqualTo(before));
        Assert.That(adam.StepCount, Is.EqualTo(1));
    }

    [Test]
    public void StateListsEveryParameterInOrder()
    {
        using var module = TinyModule.Random(1);
        using var adam = new AdamOptimizer(Acc, module.Parameters, new AdamOptions());
        Assert.That(adam.State.Select(s => s.Name), Is.EqualTo(module.Parameters.Select(p => p.Name)));
        Assert.That(adam.State.Select(s => s.M.Length), Is.EqualTo(module.Parameters.Select(p => p.Length)));
        Assert.That(adam.State.Select(s => s.V.Length), Is.EqualTo(module.Parameters.Select(p => p.Length)));
        Assert.That(adam.State.All(s => s.M.GetAsArray1D().All(x => x == 0) && s.V.GetAsArray1D().All(x => x == 0)));
    }

    [Test]
    public void ConstructorValidatesArguments()
    {
        using var module = TinyModule.Random(1);
        var options = new AdamOptions();
        Assert.That(Assert.Throws<ArgumentNullException>(() => new AdamOptimizer(null!, module.Parameters, options))!.ParamName, Is.EqualTo("acc"));
        Assert.That(Assert.Throws<ArgumentNullException>(() => new AdamOptimizer(Acc, null!, options))!.ParamName, Is.EqualTo("parameters"));
        Assert.That(Assert.Throws<ArgumentNullException>(() => new AdamOptimizer(Acc, module.Parameters, null!))!.ParamName, Is.EqualTo("options"));
        Assert.That(Assert.Throws<ArgumentException>(() => new AdamOptimizer(Acc, [], options))!.ParamName, Is.EqualTo("parameters"));
        var twice = new[] { module.Parameters[0], module.Parameters[1], module.Parameters[0] };
        var ex = Assert.Throws<ArgumentException>(() => new AdamOptimizer(Acc, twice, options))!;
        Assert.That(ex.ParamName, Is.EqualTo("parameters"));
        Assert.That(ex.Message, Does.Contain("tiny.weight"));
    }

    [Test]
    public void OptionsAreValidatedNamingTheProperty()
    {
        using var module = TinyModule.Random(1);
        (AdamOptions Options, string Name)[] bad =
        [
            (new AdamOptions { LearningRate = -1 }, "LearningRate"),
            (new AdamOptions { LearningRate = double.NaN }, "LearningRate"),
            (new AdamOptions { Beta1 = 1 }, "Beta1"),
            (new AdamOptions { Beta1 = -0.1 }, "Beta1"),
            (new AdamOptions { Beta2 = 1.5 }, "Beta2"),
            (new AdamOptions { Epsilon = 0 }, "Epsilon"),
            (new AdamOptions { WeightDecay = -1e-3 }, "WeightDecay"),
            (new AdamOptions { WeightDecay = double.PositiveInfinity }, "WeightDecay"),
        ];
        foreach (var (options, name) in bad)
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new AdamOptimizer(Acc, module.Parameters, options))!.ParamName, Is.EqualTo(name));
        var defaults = new AdamOptions();
        Assert.That((defaults.LearningRate, defaults.Beta1, defaults.Beta2, defaults.Epsilon, defaults.WeightDecay),
            Is.EqualTo((1e-3, 0.9, 0.999, 1e-8, 0.0)));
    }

    [Test]
    public void StepValidatesArgumentsBeforeChangingAnything()
    {
        using var module = TinyModule.Random(1);
        using var adam = new AdamOptimizer(Acc, module.Parameters, new AdamOptions());
        float[][] before = module.Values();
        Assert.That(Assert.Throws<ArgumentNullException>(() => adam.Step(null!, 1e-3f, 1f))!.ParamName, Is.EqualTo("stream"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => adam.Step(Acc.DefaultStream, float.NaN, 1f))!.ParamName, Is.EqualTo("learningRate"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => adam.Step(Acc.DefaultStream, -1f, 1f))!.ParamName, Is.EqualTo("learningRate"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => adam.Step(Acc.DefaultStream, 1e-3f, -1f))!.ParamName, Is.EqualTo("gradScale"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => adam.Step(Acc.DefaultStream, 1e-3f, float.PositiveInfinity))!.ParamName, Is.EqualTo("gradScale"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => adam.StepCount = -1)!.ParamName, Is.EqualTo("StepCount"));
        Assert.That(adam.StepCount, Is.Zero);
        Assert.That(module.Values(), Is.EqualTo(before));
        adam.Dispose();
        Assert.Throws<ObjectDisposedException>(() => adam.Step(Acc.DefaultStream, 1e-3f, 1f));
    }
}
