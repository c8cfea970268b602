using FastWeights.Model.Ops;

namespace FastWeights.Tests.Model.Ops;

/// <summary>
/// Boundary checks of the ops: a view of the wrong length (or an empty required view) is an
/// <see cref="ArgumentException"/> naming the argument, a bad size an <see cref="ArgumentOutOfRangeException"/>,
/// and a rejected call queues nothing (the output buffer keeps its contents).
/// </summary>
public sealed class OpValidationTests
{
    private const int N = 3, In = 4, Out = 5, V = 6, D = 2, B = 2, T = 3, H = 4, C = 5;
    private const float Garbage = 42f;

    private static Accelerator Cpu => Devices.Cpu.Accelerator;

    private Dense dense = null!;
    private Embedding embedding = null!;
    private LastStep lastStep = null!;
    private SoftmaxCrossEntropy loss = null!;
    private LayerNorm layerNorm = null!;
    private TokenShift tokenShift = null!;
    private Add add = null!;

    [OneTimeSetUp]
    public void CreateOps()
    {
        dense = new Dense(Cpu, "dense", In, Out, DenseActivation.Relu);
        embedding = new Embedding(Cpu, "embedding", V, D);
        lastStep = new LastStep(Cpu, "last");
        loss = new SoftmaxCrossEntropy(Cpu, "loss", C);
        layerNorm = new LayerNorm(Cpu, "norm", In);
        tokenShift = new TokenShift(Cpu, "shift");
        add = new Add(Cpu, "add");
    }

    [OneTimeTearDown]
    public void DisposeOps()
    {
        dense.Dispose();
        embedding.Dispose();
        layerNorm.Dispose();
    }

    /// <summary>Right length for every view of every call below.</summary>
    private static long Length(string name) => name switch
    {
        "x" or "dx" => N * In,
        "y" or "dy" => N * Out,
        "tokens" or "targets" or "losses" or "correct" => N,
        "probabilities" or "logits" or "dLogits" => N * C,
        "sequence" or "dSequence" => B * T * H,
        "last" or "dLast" => B * H,
        "embOutput" or "embDOutput" => N * D,
        "lnY" or "lnX" or "lnDx" or "lnDy" => N * In,
        "stats" => 2 * N,
        "shifted" or "dShifted" => B * T * 2 * H,
        "tsDx" or "tsX" => B * T * H,
        "sum" or "addA" or "addB" => N * Out,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    /// <summary>
    /// Runs one op call with every view of the right length except <paramref name="wrong"/>, which is one
    /// element too long (or empty when <paramref name="empty"/>); returns the first float output's contents.
    /// </summary>
    private static float[] Call(string wrong, bool empty, Action<Func<string, ArrayView<float>>, Func<string, ArrayView<int>>> run)
    {
        using var data = new OpTestData(Cpu);
        var floats = new Dictionary<string, MemoryBuffer1D<float, Stride1D.Dense>>();
        ArrayView<float> F(string name)
        {
            if (name == wrong && empty) return default;
            if (!floats.TryGetValue(name, out var buffer))
                floats[name] = buffer = data.Output(Length(name) + (name == wrong ? 1 : 0), Garbage);
            return buffer.View;
        }
        ArrayView<int> I(string name) =>
            name == wrong && empty ? default : data.Upload(new int[Length(name) + (name == wrong ? 1 : 0)]).View;
        run(F, I);
        data.Stream.Synchronize();
        return floats.Values.First().GetAsArray1D();
    }

    private void Run(string call, Func<string, ArrayView<float>> f, Func<string, ArrayView<int>> i, int n = N, int b = B)
    {
        var s = Cpu.DefaultStream;
        switch (call)
        {
            case "Dense.Forward": dense.Forward(s, f("y"), f("x"), n); break;
            case "Dense.Backward": dense.Backward(s, f("dx"), f("dy"), f("x"), f("y"), n); break;
            case "Embedding.Forward": embedding.Forward(s, f("embOutput"), i("tokens"), n); break;
            case "Embedding.Backward": embedding.Backward(s, f("embDOutput"), i("tokens"), n); break;
            case "LastStep.Forward": lastStep.Forward(s, f("last"), f("sequence"), b, T, H); break;
            case "LastStep.Backward": lastStep.Backward(s, f("dSequence"), f("dLast"), b, T, H); break;
            case "SoftmaxCrossEntropy.Forward": loss.Forward(s, f("losses"), f("probabilities"), i("correct"), f("logits"), i("targets"), n); break;
            case "SoftmaxCrossEntropy.Backward": loss.Backward(s, f("dLogits"), f("probabilities"), i("targets"), n, 1f / N); break;
            case "LayerNorm.Forward": layerNorm.Forward(s, f("lnY"), f("stats"), f("lnX"), n); break;
            case "LayerNorm.Backward": layerNorm.Backward(s, f("lnDx"), f("lnDy"), f("lnX"), f("stats"), n); break;
            case "TokenShift.Forward": tokenShift.Forward(s, f("shifted"), f("tsX"), b, T, H); break;
            case "TokenShift.Backward": tokenShift.Backward(s, f("tsDx"), f("dShifted"), b, T, H); break;
            case "Add.Forward": add.Forward(s, f("sum"), f("addA"), f("addB"), n * Out); break;
            default: throw new ArgumentOutOfRangeException(nameof(call), call, null);
        }
    }

    public static IEnumerable<TestCaseData> WrongLengthCases()
    {
        var calls = new (string Call, string[] Views)[]
        {
            ("Dense.Forward", ["y", "x"]),
            ("Dense.Backward", ["dx", "dy", "x", "y"]),
            ("Embedding.Forward", ["embOutput", "tokens"]),
            ("Embedding.Backward", ["embDOutput", "tokens"]),
            ("LastStep.Forward", ["last", "sequence"]),
            ("LastStep.Backward", ["dSequence", "dLast"]),
            ("SoftmaxCrossEntropy.Forward", ["losses", "probabilities", "correct", "logits", "targets"]),
            ("SoftmaxCrossEntropy.Backward", ["dLogits", "probabilities", "targets"]),
            ("LayerNorm.Forward", ["lnY", "stats", "lnX"]),
            ("LayerNorm.Backward", ["lnDx", "lnDy", "lnX", "stats"]),
            ("TokenShift.Forward", ["shifted", "tsX"]),
            ("TokenShift.Backward", ["tsDx", "dShifted"]),
            ("Add.Forward", ["sum", "addA", "addB"]),
        };
        foreach (var (call, views) in calls)
            foreach (var view in views)
                yield return new TestCaseData(call, view).SetName($"{call}_{view}_WrongLength");
    }

    /// <summary>The parameter name the op uses for a view of the rig (the rig renames the clashing ones).</summary>
    private static string ParamName(string view) => view switch
    {
        "embOutput" => "output",
        "embDOutput" => "dOutput",
        "last" => "output",
        "dLast" => "dOutput",
        "lnY" => "y",
        "lnX" or "tsX" => "x",
        "lnDx" or "tsDx" => "dx",
        "lnDy" => "dy",
        "dShifted" => "dshifted",
        "sum" => "output",
        "addA" => "a",
        "addB" => "b",
        _ => view,
    };

    [TestCaseSource(nameof(WrongLengthCases))]
    public void WrongLengthIsAnArgumentExceptionNamingTheArgument(string call, string view)
    {
        float[] after = Call(view, empty: false, (f, i) =>
        {
            var e = Assert.Throws<ArgumentException>(() => Run(call, f, i));
            Assert.That(e!.ParamName, Is.EqualTo(ParamName(view)));
        });
        Assert.That(after, Is.All.EqualTo(Garbage), "a rejected call must not queue a kernel");
    }

    [TestCase("Dense.Forward", "x")]
    [TestCase("Dense.Backward", "dy")]
    [TestCase("Embedding.Forward", "tokens")]
    [TestCase("LastStep.Backward", "dSequence")]
    [TestCase("SoftmaxCrossEntropy.Backward", "probabilities")]
    [TestCase("LayerNorm.Backward", "stats")]
    [TestCase("TokenShift.Forward", "tsX")]
    [TestCase("Add.Forward", "addB")]
    public void EmptyRequiredViewIsAnArgumentExceptionNamingTheArgument(string call, string view) =>
        Call(view, empty: true, (f, i) =>
        {
            var e = Assert.Throws<ArgumentException>(() => Run(call, f, i));
            Assert.That(e!.ParamName, Is.EqualTo(ParamName(view)));
        });

    [Test]
    public void DenseBackwardAcceptsAnEmptyDx() =>
        Call("dx", empty: true, (f, i) => Assert.DoesNotThrow(() => Run("Dense.Backward", f, i)));

    [Test]
    public void LayerNormBackwardAcceptsAnEmptyDx() =>
        Call("lnDx", empty: true, (f, i) => Assert.DoesNotThrow(() => Run("LayerNorm.Backward", f, i)));

    [TestCase("Dense.Forward")]
    [TestCase("Embedding.Backward")]
    [TestCase("SoftmaxCrossEntropy.Forward")]
    [TestCase("LayerNorm.Forward")]
    public void NonPositiveSampleCountIsOutOfRange(string call) =>
        Call("", empty: false, (f, i) =>
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => Run(call, f, i, n: 0));
            Assert.That(e!.ParamName, Is.EqualTo("n"));
        });

    [Test]
    public void AddNonPositiveCountIsOutOfRange() =>
        Call("", empty: false, (f, i) =>
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => add.Forward(Cpu.DefaultStream, f("sum"), f("addA"), f("addB"), 0));
            Assert.That(e!.ParamName, Is.EqualTo("count"));
        });

    [Test]
    public void LastStepNonPositiveBatchIsOutOfRange() =>
        Call("", empty: false, (f, i) =>
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => Run("LastStep.Forward", f, i, b: 0));
            Assert.That(e!.ParamName, Is.EqualTo("b"));
        });

    [Test]
    public void ViewsAndStreamsOfAnotherAcceleratorAreRejected()
    {
        using var here = new OpTestData(Cpu);
        using var there = new OpTestData(Devices.CpuNvidia.Accelerator);
        var y = here.Output(N * Out);
        var e = Assert.Throws<ArgumentException>(() => dense.Forward(Cpu.DefaultStream, y.View, there.Output(N * In).View, N));
        Assert.That(e!.ParamName, Is.EqualTo("x"));
        e = Assert.Throws<ArgumentException>(() => dense.Forward(there.Stream, y.View, here.Output(N * In).View, N));
        Assert.That(e!.ParamName, Is.EqualTo("stream"));
    }

    [Test]
    public void SoftmaxCrossEntropyBackwardRejectsANonFiniteScale()
    {
        using var data = new OpTestData(Cpu);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => loss.Backward(Cpu.DefaultStream,
            data.Output(N * C).View, data.Output(N * C).View, data.Upload(new int[N]).View, N, float.NaN));
        Assert.That(e!.ParamName, Is.EqualTo("scale"));
    }

    [Test]
    public void ConstructorsRejectBadSizesAndNames()
    {
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new Dense(Cpu, "d", 0, 3))!.ParamName, Is.EqualTo("inputs"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new Dense(Cpu, "d", 3, 0))!.ParamName, Is.EqualTo("outputs"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new Dense(Cpu, "d", 3, 3, (DenseActivation)7))!.ParamName, Is.EqualTo("activation"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new Embedding(Cpu, "e", 0, 3))!.ParamName, Is.EqualTo("vocabulary"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new Embedding(Cpu, "e", 3, 0))!.ParamName, Is.EqualTo("dimension"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new SoftmaxCrossEntropy(Cpu, "l", 0))!.ParamName, Is.EqualTo("classes"));
        Assert.Throws<ArgumentException>(() => new LastStep(Cpu, " "));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new LayerNorm(Cpu, "n", 0))!.ParamName, Is.EqualTo("width"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new LayerNorm(Cpu, "n", 3, 0.0))!.ParamName, Is.EqualTo("epsilon"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new LayerNorm(Cpu, "n", 3, double.NaN))!.ParamName, Is.EqualTo("epsilon"));
        Assert.Throws<ArgumentException>(() => new TokenShift(Cpu, ""));
        Assert.Throws<ArgumentNullException>(() => new Add(null!, "add"));
        Assert.Throws<ArgumentNullException>(() => new LastStep(null!, "last"));
    }
}
