using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Primitives;
using static FastWeights.Tests.Support.Rejections;

namespace FastWeights.Tests.Kernels.FastWeightRnn;

/// <summary>
/// Every check at the public boundary of <see cref="FastWeightRnnLayer"/>, <see cref="FastWeightRnnOptions"/>
/// and <see cref="FastWeightRnnHost"/>: the exception type, the argument it names, that nothing in the
/// caller's buffers changes on a rejected call, and that the layer still works (bit for bit) afterwards.
/// Small sizes (B = 2, T = 3, I = 3, H = 4) on the ILGPU CPU accelerator, thread schedule; every test runs for
/// both forms (<see cref="FastWeightForm"/>), since a layer dispatches to the attention form only after its own checks.
/// </summary>
[TestFixture(FastWeightForm.Matrix)]
[TestFixture(FastWeightForm.Attention)]
public sealed class FastWeightRnnValidationTests(FastWeightForm form)
{
    private const int B = 2, T = 3, I = 3, H = 4;

    private static readonly string[] ForwardViews = ["y", "hT", "aT", "x", "h0", "a0", "W", "C", "B", "LnGain", "LnBias"];
    private static readonly string[] ForwardRequired = ["y", "hT", "aT", "x", "W", "C", "B", "LnGain", "LnBias"];
    private static readonly string[] BackwardViews =
        ["dx", "dh0", "dA0", "DW", "DC", "DB", "DLnGain", "DLnBias", "dy", "dhT", "dAT", "x", "W", "C", "B", "LnGain", "LnBias"];
    private static readonly string[] BackwardRequired = ["DW", "DC", "DB", "DLnGain", "DLnBias", "dy", "x", "W", "C", "B", "LnGain", "LnBias"];
    private static readonly string[] ForwardOutputs = ["y", "hT", "aT"];
    private static readonly string[] BackwardOutputs = ["dx", "dh0", "dA0", "DW", "DC", "DB", "DLnGain", "DLnBias"];

    private FastWeightRnnLayer layer = null!;
    private FastWeightRnnLayer checkedLayer = null!;

    private static Accelerator Cpu => Devices.Cpu.Accelerator;
    private static Accelerator Foreign => Devices.CpuNvidia.Accelerator;

    private FastWeightRnnOptions Options(bool checkFinite = false, int hidden = H) => BaseOptions(checkFinite, hidden) with { Form = form };

    private static FastWeightRnnOptions BaseOptions(bool checkFinite = false, int hidden = H) => new()
    {
        InputSize = I, HiddenSize = hidden, InnerSteps = 2, Decay = 0.9, FastLearningRate = 0.5,
        Schedule = SweepSchedule.Thread, CheckFinite = checkFinite,
    };

    [OneTimeSetUp]
    public void CreateLayers()
    {
        layer = new FastWeightRnnLayer(Cpu, Options());
        checkedLayer = new FastWeightRnnLayer(Cpu, Options(checkFinite: true));
    }

    [OneTimeTearDown]
    public void DisposeLayers()
    {
        layer.Dispose();
        checkedLayer.Dispose();
    }

    // ---------------------------------------------------------------- rig

    /// <summary>Length of each named view for (B, T).</summary>
    private static long Length(string name) => name switch
    {
        "x" or "dx" => (long)B * T * I,
        "y" or "dy" => (long)B * T * H,
        "hT" or "h0" or "dh0" or "dhT" => (long)B * H,
        "aT" or "a0" or "dA0" or "dAT" => (long)B * H * H,
        "W" or "DW" => (long)H * H,
        "C" or "DC" => (long)H * I,
        "B" or "LnGain" or "LnBias" or "DB" or "DLnGain" or "DLnBias" => H,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    /// <summary>Every view of one forward/backward call, with deterministic data, and a workspace for (B, T).</summary>
    public sealed class Rig : ViewRig<FastWeightRnnWorkspace>
    {
        private readonly FastWeightRnnLayer owner;

        public Rig(FastWeightRnnLayer owner)
        {
            this.owner = owner;
            UploadPattern(Cpu, ForwardViews.Concat(BackwardViews).Distinct(), Length, name => name == "LnGain");
            Workspace = owner.CreateWorkspace(B, T);
        }

        /// <summary>A view of the right length whose buffer is already disposed.</summary>
        public static ArrayView<float> Disposed(long length) => Disposed(Cpu, length);

        public FastWeightRnnParameters Parameters => new(V["W"], V["C"], V["B"], V["LnGain"], V["LnBias"]);
        public FastWeightRnnParameterGradients Gradients => new(V["DW"], V["DC"], V["DB"], V["DLnGain"], V["DLnBias"]);

        /// <summary>The forward or backward of <paramref name="l"/> with exactly this stream and workspace (null included), without a synchronise.</summary>
        public void Call(bool backward, FastWeightRnnLayer l, AcceleratorStream stream, FastWeightRnnWorkspace workspace, int batch = B, int time = T)
        {
            if (backward)
                l.Backward(stream, workspace, V["dx"], V["dh0"], V["dA0"], Gradients, V["dy"], V["dhT"], V["dAT"], V["x"], Parameters, batch, time);
            else
                l.Forward(stream, workspace, V["y"], V["hT"], V["aT"], V["x"], V["h0"], V["a0"], Parameters, batch, time);
        }

        public void Forward(FastWeightRnnLayer? l = null, AcceleratorStream? stream = null, FastWeightRnnWorkspace? ws = null,
            int batch = B, int time = T) => CallAndSynchronize(false, l ?? owner, stream, ws, batch, time);

        public void Backward(FastWeightRnnLayer? l = null, AcceleratorStream? stream = null, FastWeightRnnWorkspace? ws = null,
            int batch = B, int time = T) => CallAndSynchronize(true, l ?? owner, stream, ws, batch, time);

        private void CallAndSynchronize(bool backward, FastWeightRnnLayer l, AcceleratorStream? stream, FastWeightRnnWorkspace? ws, int batch, int time)
        {
            Call(backward, l, stream ?? l.Accelerator.DefaultStream, ws ?? Workspace, batch, time);
            l.Accelerator.Synchronize();
        }

        protected override float[] Sentinel(int length) => FastWeightRnnValidationTests.Sentinel(length);
    }

    private static float[] Sentinel(int length)
    {
        var s = new float[length];
        for (int k = 0; k < length; k++) s[k] = BitConverter.Int32BitsToSingle(0x4B12_3400 + 977 * k); // ≈ 9.6e6, odd mantissas
        return s;
    }

    // ---------------------------------------------------------------- options and constructor

    public static IEnumerable<TestCaseData> BadOptions()
    {
        var ok = BaseOptions();
        TestCaseData Case(string label, FastWeightRnnOptions o, string param) =>
            new TestCaseData(new Func<FastWeightRnnOptions>(() => o), param).SetName($"Options_{label}_Rejected");
        yield return Case("InputSize0", ok with { InputSize = 0 }, "InputSize");
        yield return Case("FormUndefined", ok with { Form = (FastWeightForm)7 }, "Form");
        yield return Case("InputSizeNegative", ok with { InputSize = -3 }, "InputSize");
        yield return Case("HiddenSize0", ok with { HiddenSize = 0 }, "HiddenSize");
        yield return Case("HiddenSizeTooLarge", ok with { HiddenSize = 30_000 }, "HiddenSize");
        yield return Case("InnerSteps0", ok with { InnerSteps = 0 }, "InnerSteps");
        yield return Case("Decay0", ok with { Decay = 0.0 }, "Decay");
        yield return Case("DecayNegative", ok with { Decay = -0.1 }, "Decay");
        yield return Case("Decay1.5", ok with { Decay = 1.5 }, "Decay");
        yield return Case("DecayNaN", ok with { Decay = double.NaN }, "Decay");
        yield return Case("DecayInf", ok with { Decay = double.PositiveInfinity }, "Decay");
        yield return Case("FastLrNegative", ok with { FastLearningRate = -1e-3 }, "FastLearningRate");
        yield return Case("FastLrNaN", ok with { FastLearningRate = double.NaN }, "FastLearningRate");
        yield return Case("FastLrInf", ok with { FastLearningRate = double.PositiveInfinity }, "FastLearningRate");
        yield return Case("Epsilon0", ok with { LayerNormEpsilon = 0.0 }, "LayerNormEpsilon");
        yield return Case("EpsilonNegative", ok with { LayerNormEpsilon = -1e-5 }, "LayerNormEpsilon");
        yield return Case("EpsilonNaN", ok with { LayerNormEpsilon = double.NaN }, "LayerNormEpsilon");
        yield return Case("EpsilonInf", ok with { LayerNormEpsilon = double.PositiveInfinity }, "LayerNormEpsilon");
        yield return Case("CheckpointInterval0", ok with { CheckpointInterval = 0 }, "CheckpointInterval");
        yield return Case("CheckpointIntervalNegative", ok with { CheckpointInterval = -1 }, "CheckpointInterval");
        yield return Case("ActivationUndefined", ok with { Activation = (Activation)7 }, "Activation");
        yield return Case("ScheduleUndefined", ok with { Schedule = (SweepSchedule)(-1) }, "Schedule");
    }

    [TestCaseSource(nameof(BadOptions))]
    public void Options_OutOfRange_ThrowsNamingProperty(Func<FastWeightRnnOptions> options, string property)
    {
        var o = options();
        AssertNames<ArgumentOutOfRangeException>(() => o.Validate(), property);
        AssertNames<ArgumentOutOfRangeException>(() => new FastWeightRnnLayer(Cpu, o).Dispose(), property);
    }

    [Test]
    public void Options_Boundaries_Accepted()
    {
        // λ = 1, η = 0 and K = 1 are inside the allowed ranges.
        using var l = new FastWeightRnnLayer(Cpu, Options() with { Decay = 1.0, FastLearningRate = 0.0, CheckpointInterval = 1 });
        Assert.That(l.CheckpointInterval, Is.EqualTo(1));
    }

    [Test]
    public void Constructor_NullAccelerator_Throws() =>
        AssertNames<ArgumentNullException>(() => new FastWeightRnnLayer(null!, Options()).Dispose(), "accelerator");

    [Test]
    public void Constructor_NullOptions_Throws() =>
        AssertNames<ArgumentNullException>(() => new FastWeightRnnLayer(Cpu, null!).Dispose(), "options");

    [Test]
    public void Constructor_DisposedAccelerator_Throws()
    {
        var device = ComputeDevice.Open(AcceleratorKind.Cpu);
        var acc = device.Accelerator;
        device.Dispose();
        AssertDisposed(() => new FastWeightRnnLayer(acc, Options()).Dispose(), "accelerator");
    }

    // ---------------------------------------------------------------- workspace sizes

    [TestCase(0, T, "maxBatch")]
    [TestCase(-1, T, "maxBatch")]
    [TestCase(B, 0, "maxTime")]
    public void CreateWorkspace_NonPositiveSize_Throws(int maxBatch, int maxTime, string param) =>
        AssertNames<ArgumentOutOfRangeException>(() => layer.CreateWorkspace(maxBatch, maxTime).Dispose(), param);

    [TestCase(0, T, I, H, 1, 0.9, "batch")]
    [TestCase(B, 0, I, H, 1, 0.9, "time")]
    [TestCase(B, T, 0, H, 1, 0.9, "input")]
    [TestCase(B, T, I, 0, 1, 0.9, "hidden")]
    [TestCase(B, T, I, H, 0, 0.9, "innerSteps")]
    [TestCase(B, T, I, H, 1, 0.0, "decay")]
    [TestCase(B, T, I, H, 1, double.NaN, "decay")]
    public void StaticWorkspaceBytes_OutOfRange_Throws(int batch, int time, int input, int hidden, int innerSteps, double decay, string param)
    {
        AssertNames<ArgumentOutOfRangeException>(() => FastWeightRnnLayer.WorkspaceBytes(batch, time, input, hidden, innerSteps, decay), param);
        AssertNames<ArgumentOutOfRangeException>(() => FastWeightRnnLayer.StoreAllBytes(batch, time, input, hidden, innerSteps, decay), param);
    }

    [Test]
    public void HugeCheckpointInterval_RejectedBeforeAnyKernel()
    {
        // time + K − 1 overflowed int in the checkpoint count (0 copies of A): the forward then wrote out of range.
        using var l = new FastWeightRnnLayer(Cpu, Options() with { CheckpointInterval = int.MaxValue });
        AssertNames<ArgumentOutOfRangeException>(() => l.WorkspaceBytes(B, T), "time");
        AssertNames<ArgumentOutOfRangeException>(() => l.CreateWorkspace(B, T).Dispose(), "time");
    }

    [Test]
    public void LargeCheckpointInterval_StillWorks()
    {
        using var l = new FastWeightRnnLayer(Cpu, Options() with { CheckpointInterval = 1 << 20 });
        using var rig = new Rig(l);
        rig.Forward();
        rig.Backward();
        Assert.That(rig.Read("DW").All(float.IsFinite), Is.True);
    }

    // ---------------------------------------------------------------- forward views

    public static IEnumerable<TestCaseData> ForwardViewNames() => ForwardViews.Select(n => new TestCaseData(n).SetName($"Forward_{n}"));
    public static IEnumerable<TestCaseData> ForwardRequiredNames() => ForwardRequired.Select(n => new TestCaseData(n).SetName($"Forward_{n}"));
    public static IEnumerable<TestCaseData> BackwardViewNames() => BackwardViews.Select(n => new TestCaseData(n).SetName($"Backward_{n}"));
    public static IEnumerable<TestCaseData> BackwardRequiredNames() => BackwardRequired.Select(n => new TestCaseData(n).SetName($"Backward_{n}"));

    [TestCaseSource(nameof(ForwardRequiredNames))]
    public void Forward_MissingView_Throws(string name)
    {
        using var rig = new Rig(layer);
        rig.V[name] = default;
        AssertNames<ArgumentException>(() => rig.Forward(), name);
    }

    [TestCaseSource(nameof(ForwardViewNames))]
    public void Forward_ViewOneTooShort_Throws(string name)
    {
        using var rig = new Rig(layer);
        rig.V[name] = rig.V[name].SubView(0, Length(name) - 1);
        AssertNames<ArgumentException>(() => rig.Forward(), name);
    }

    [TestCaseSource(nameof(ForwardViewNames))]
    public void Forward_ViewOneTooLong_Throws(string name)
    {
        using var rig = new Rig(layer);
        rig.V[name] = rig.Alloc(Cpu, Length(name) + 1);
        AssertNames<ArgumentException>(() => rig.Forward(), name);
    }

    [TestCaseSource(nameof(ForwardViewNames))]
    public void Forward_ViewOnAnotherAccelerator_Throws(string name)
    {
        using var rig = new Rig(layer);
        rig.V[name] = rig.Alloc(Foreign, Length(name));
        AssertNames<ArgumentException>(() => rig.Forward(), name);
    }

    [TestCaseSource(nameof(ForwardViewNames))]
    public void Forward_DisposedBuffer_Throws(string name)
    {
        using var rig = new Rig(layer);
        rig.V[name] = Rig.Disposed(Length(name));
        AssertDisposed(() => rig.Forward(), name);
    }

    [Test]
    public void Forward_OptionalStateOmitted_Runs()
    {
        using var rig = new Rig(layer);
        rig.V["h0"] = default;
        rig.V["a0"] = default;
        Assert.DoesNotThrow(() => rig.Forward());
    }

    [TestCase(0, T, "batch")]
    [TestCase(-2, T, "batch")]
    [TestCase(B, 0, "time")]
    [TestCase(B, -1, "time")]
    [TestCase(B + 1, T, "batch")]
    [TestCase(B, T + 1, "time")]
    public void Forward_BatchOrTimeOutOfRange_Throws(int batch, int time, string param)
    {
        using var rig = new Rig(layer);
        AssertNames<ArgumentOutOfRangeException>(() => rig.Forward(batch: batch, time: time), param);
    }

    [Test]
    public void Forward_SmallerShapeThanWorkspace_ChecksLengthsForThatShape()
    {
        // With batch = 1, views sized for B = 2 are the wrong length: y is the first checked.
        using var rig = new Rig(layer);
        AssertNames<ArgumentException>(() => rig.Forward(batch: 1), "y");
    }

    // ---------------------------------------------------------------- call context (both directions)

    /// <summary>With element <paramref name="index"/> of view <paramref name="name"/> set to <paramref name="value"/>, <paramref name="call"/> throws <see cref="ArgumentException"/>; the element is put back afterwards.</summary>
    private static void AssertRejectsElement(Rig rig, string name, int index, float value, Action call)
    {
        var data = rig.Read(name);
        float keep = data[index];
        data[index] = value;
        rig.Write(name, data);
        Assert.Throws<ArgumentException>(() => call());
        data[index] = keep;
        rig.Write(name, data);
    }

    private static void Call(Rig rig, bool backward, FastWeightRnnLayer? l = null, AcceleratorStream? stream = null,
        FastWeightRnnWorkspace? ws = null, int batch = B, int time = T)
    {
        if (backward) rig.Backward(l, stream, ws, batch, time);
        else rig.Forward(l, stream, ws, batch, time);
    }

    /// <summary>A rig whose workspace has seen a forward, so that backward's own checks are reached.</summary>
    private Rig ReadyRig(FastWeightRnnLayer? l = null)
    {
        var rig = new Rig(l ?? layer);
        rig.Forward();
        return rig;
    }

    [TestCase(false)]
    [TestCase(true)]
    public void DisposedWorkspace_Throws(bool backward)
    {
        using var rig = ReadyRig();
        rig.Workspace.Dispose();
        AssertDisposed(() => Call(rig, backward), "workspace");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void NullWorkspace_Throws(bool backward)
    {
        using var rig = ReadyRig();
        var ex = Assert.Throws<ArgumentNullException>(() => rig.Call(backward, layer, Cpu.DefaultStream, null!))!;
        Assert.That(ex.ParamName, Is.EqualTo("workspace"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void DisposedLayer_Throws(bool backward)
    {
        var l = new FastWeightRnnLayer(Cpu, Options());
        using var rig = ReadyRig(l);
        l.Dispose();
        AssertDisposed(() => Call(rig, backward), nameof(FastWeightRnnLayer));
        AssertDisposed(() => l.CreateWorkspace(B, T).Dispose(), nameof(FastWeightRnnLayer));
        Assert.DoesNotThrow(l.Dispose, "Dispose twice");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void StreamOfAnotherAccelerator_Throws(bool backward)
    {
        using var rig = ReadyRig();
        AssertNames<ArgumentException>(() => Call(rig, backward, stream: Foreign.DefaultStream), "stream");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void DisposedStream_Throws(bool backward)
    {
        using var rig = ReadyRig();
        var stream = Cpu.CreateStream();
        stream.Dispose();
        AssertDisposed(() => Call(rig, backward, stream: stream), "stream");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void NullStream_Throws(bool backward)
    {
        using var rig = ReadyRig();
        var ex = Assert.Throws<ArgumentNullException>(() => rig.Call(backward, layer, null!, rig.Workspace))!;
        Assert.That(ex.ParamName, Is.EqualTo("stream"));
    }

    [TestCase(false)]
    [TestCase(true)]
    public void WorkspaceOfLayerWithOtherHiddenSize_Throws(bool backward)
    {
        using var other = new FastWeightRnnLayer(Cpu, Options(hidden: H + 1));
        using var ws = other.CreateWorkspace(B, T);
        using var rig = ReadyRig();
        AssertNames<ArgumentException>(() => Call(rig, backward, ws: ws), "workspace");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void WorkspaceOnAnotherAccelerator_Throws(bool backward)
    {
        using var other = new FastWeightRnnLayer(Foreign, Options());
        using var ws = other.CreateWorkspace(B, T);
        using var rig = ReadyRig();
        AssertNames<ArgumentException>(() => Call(rig, backward, ws: ws), "workspace");
    }

    // ---------------------------------------------------------------- backward

    [Test]
    public void Backward_BeforeAnyForward_Throws()
    {
        using var rig = new Rig(layer);
        var ex = Assert.Throws<InvalidOperationException>(() => rig.Backward())!;
        Assert.That(ex.Message, Does.Contain("never run"));
    }

    [TestCase(1, T)]
    [TestCase(B, 2)]
    [TestCase(1, 1)]
    public void Backward_ShapeOtherThanLastForward_Throws(int batch, int time)
    {
        using var rig = ReadyRig();
        Assert.Throws<InvalidOperationException>(() => rig.Backward(batch: batch, time: time));
    }

    [Test]
    public void Backward_WhenAnotherLayerRanTheLastForward_Throws()
    {
        // Same H, S and K (so the workspace fits both), but another activation: its tape is not ours.
        using var other = new FastWeightRnnLayer(Cpu, layer.Options with { Activation = Activation.Relu });
        using var rig = new Rig(layer);
        rig.Forward(l: other);
        var ex = Assert.Throws<InvalidOperationException>(() => rig.Backward())!;
        Assert.That(ex.Message, Does.Contain("another layer"));
    }

    [Test]
    public void Options_WithInvalidDecay_CanStillBePrinted()
    {
        var options = new FastWeightRnnOptions { InputSize = 1, HiddenSize = 1, Decay = double.NaN };
        Assert.That(options.ToString(), Does.Contain("Decay"));
        Assert.Throws<ArgumentOutOfRangeException>(() => options.ResolveCheckpointInterval());
    }

    [Test]
    public void Backward_AfterForwardOfAnotherShape_Throws()
    {
        // Forward (2,3), then forward (1,1) on the same workspace: a backward for (2,3) no longer matches.
        using var rig = ReadyRig();
        using var small = new Rig(layer);
        foreach (var name in ForwardViews) small.V[name] = small.V[name].SubView(0, Length(name) / (name is "W" or "C" or "B" or "LnGain" or "LnBias" ? 1 : name == "x" || name == "y" ? B * T : B));
        small.Forward(ws: rig.Workspace, batch: 1, time: 1);
        Assert.Throws<InvalidOperationException>(() => rig.Backward());
    }

    [TestCase(0, T, "batch")]
    [TestCase(B, 0, "time")]
    [TestCase(B + 1, T, "batch")]
    [TestCase(B, T + 1, "time")]
    public void Backward_BatchOrTimeOutOfRange_Throws(int batch, int time, string param)
    {
        using var rig = ReadyRig();
        AssertNames<ArgumentOutOfRangeException>(() => rig.Backward(batch: batch, time: time), param);
    }

    [TestCaseSource(nameof(BackwardRequiredNames))]
    public void Backward_MissingView_Throws(string name)
    {
        using var rig = ReadyRig();
        rig.V[name] = default;
        AssertNames<ArgumentException>(() => rig.Backward(), name);
    }

    [TestCaseSource(nameof(BackwardViewNames))]
    public void Backward_ViewOneTooShort_Throws(string name)
    {
        using var rig = ReadyRig();
        rig.V[name] = rig.V[name].SubView(0, Length(name) - 1);
        AssertNames<ArgumentException>(() => rig.Backward(), name);
    }

    [TestCaseSource(nameof(BackwardViewNames))]
    public void Backward_ViewOneTooLong_Throws(string name)
    {
        using var rig = ReadyRig();
        rig.V[name] = rig.Alloc(Cpu, Length(name) + 1);
        AssertNames<ArgumentException>(() => rig.Backward(), name);
    }

    [TestCaseSource(nameof(BackwardViewNames))]
    public void Backward_ViewOnAnotherAccelerator_Throws(string name)
    {
        using var rig = ReadyRig();
        rig.V[name] = rig.Alloc(Foreign, Length(name));
        AssertNames<ArgumentException>(() => rig.Backward(), name);
    }

    [TestCaseSource(nameof(BackwardViewNames))]
    public void Backward_DisposedBuffer_Throws(string name)
    {
        using var rig = ReadyRig();
        rig.V[name] = Rig.Disposed(Length(name));
        AssertDisposed(() => rig.Backward(), name);
    }

    [Test]
    public void Backward_OptionalViewsOmitted_Runs()
    {
        using var rig = ReadyRig();
        foreach (var name in new[] { "dx", "dh0", "dA0", "dhT", "dAT" }) rig.V[name] = default;
        Assert.DoesNotThrow(() => rig.Backward());
    }

    // ---------------------------------------------------------------- CheckFinite

    [TestCase("x", float.NaN)]
    [TestCase("h0", float.PositiveInfinity)]
    [TestCase("a0", float.NaN)]
    [TestCase("W", float.PositiveInfinity)]
    [TestCase("W", float.NegativeInfinity)]
    [TestCase("C", float.NaN)]
    [TestCase("B", float.NaN)]
    [TestCase("LnGain", float.NaN)]
    [TestCase("LnBias", float.NegativeInfinity)]
    public void CheckFinite_Forward_NonFiniteInput_Throws(string name, float bad)
    {
        using var rig = new Rig(checkedLayer);
        var data = rig.Read(name);
        data[^1] = bad;
        rig.Write(name, data);
        AssertNames<ArgumentException>(() => rig.Forward(), name);
    }

    [TestCase("dy", float.NaN)]
    [TestCase("dy", float.PositiveInfinity)]
    [TestCase("dhT", float.NaN)]
    [TestCase("dAT", float.NegativeInfinity)]
    public void CheckFinite_Backward_NonFiniteInput_Throws(string name, float bad)
    {
        using var rig = ReadyRig(checkedLayer);
        var data = rig.Read(name);
        data[1] = bad;
        rig.Write(name, data);
        AssertNames<ArgumentException>(() => rig.Backward(), name);
    }

    [Test]
    public void CheckFiniteOff_NaNInput_IsNotRejected()
    {
        using var rig = new Rig(layer);
        var x = rig.Read("x");
        x[0] = float.NaN;
        rig.Write("x", x);
        Assert.DoesNotThrow(() => rig.Forward());
    }

    // ---------------------------------------------------------------- nothing corrupted

    public static IEnumerable<TestCaseData> ForwardFailures()
    {
        yield return new TestCaseData("WrongLengthW", new Action<Rig>(r => r.V["W"] = r.V["W"].SubView(0, H * H - 1)), false, "W").SetName("{m}_WrongLengthW");
        yield return new TestCaseData("NaNInX", new Action<Rig>(r => { var x = r.Read("x"); x[2] = float.NaN; r.Write("x", x); }), true, "x").SetName("{m}_NaNInX");
        yield return new TestCaseData("ForeignX", new Action<Rig>(r => r.V["x"] = r.Alloc(Foreign, Length("x"))), false, "x").SetName("{m}_ForeignX");
        yield return new TestCaseData("ForeignLnBias", new Action<Rig>(r => r.V["LnBias"] = r.Alloc(Foreign, H)), false, "LnBias").SetName("{m}_ForeignLnBias");
    }

    [TestCaseSource(nameof(ForwardFailures))]
    public void Forward_Rejected_LeavesOutputsAndWorkspaceUntouched(string label, Action<Rig> breakIt, bool checkFinite, string param)
    {
        var l = checkFinite ? checkedLayer : layer;
        using var rig = new Rig(l);
        using var clean = new Rig(l);

        // A good forward first, so the workspace holds state a backward needs.
        rig.Forward();
        clean.Forward();
        rig.FillSentinel(ForwardOutputs.Append("h0").Append("a0"));
        var views = new Dictionary<string, ArrayView<float>>(rig.V);
        var x = rig.Read("x");
        breakIt(rig);
        AssertNames<ArgumentException>(() => rig.Forward(), param);
        rig.AssertSentinel(ForwardOutputs.Append("h0").Append("a0"));
        foreach (var (name, view) in views) rig.V[name] = view;
        rig.Write("x", x);

        // The workspace still holds the first forward: the backward equals that of an untouched rig.
        rig.Backward();
        clean.Backward();
        Assert.Multiple(() =>
        {
            foreach (var name in BackwardOutputs)
                Assert.That(Bits(rig.Read(name)), Is.EqualTo(Bits(clean.Read(name))), name);
        });
    }

    public static IEnumerable<TestCaseData> BackwardFailures()
    {
        yield return new TestCaseData("WrongLengthDC", new Action<Rig>(r => r.V["DC"] = r.V["DC"].SubView(0, H * I - 1)), false, "DC").SetName("{m}_WrongLengthDC");
        yield return new TestCaseData("WrongLengthDy", new Action<Rig>(r => r.V["dy"] = r.V["dy"].SubView(1, Length("dy") - 1)), false, "dy").SetName("{m}_WrongLengthDy");
        yield return new TestCaseData("NaNInDy", new Action<Rig>(r => { var d = r.Read("dy"); d[5] = float.NaN; r.Write("dy", d); }), true, "dy").SetName("{m}_NaNInDy");
        yield return new TestCaseData("ForeignDy", new Action<Rig>(r => r.V["dy"] = r.Alloc(Foreign, Length("dy"))), false, "dy").SetName("{m}_ForeignDy");
        yield return new TestCaseData("ForeignDLnBias", new Action<Rig>(r => r.V["DLnBias"] = r.Alloc(Foreign, H)), false, "DLnBias").SetName("{m}_ForeignDLnBias");
    }

    [TestCaseSource(nameof(BackwardFailures))]
    public void Backward_Rejected_LeavesOutputsUntouched(string label, Action<Rig> breakIt, bool checkFinite, string param)
    {
        using var rig = ReadyRig(checkFinite ? checkedLayer : layer);
        var outputs = BackwardOutputs.Where(n => n != param).Concat(ForwardOutputs).ToArray();
        rig.FillSentinel(outputs);
        breakIt(rig);
        AssertNames<ArgumentException>(() => rig.Backward(), param);
        rig.AssertSentinel(outputs);
    }

    [Test]
    public void Rejected_BatchTooLarge_LeavesOutputsUntouched()
    {
        using var rig = ReadyRig();
        var outputs = ForwardOutputs.Concat(BackwardOutputs).ToArray();
        rig.FillSentinel(outputs);
        Assert.Throws<ArgumentOutOfRangeException>(() => rig.Forward(batch: B + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => rig.Backward(time: T + 1));
        Assert.Throws<InvalidOperationException>(() => rig.Backward(batch: 1));
        rig.AssertSentinel(outputs);
    }

    // ---------------------------------------------------------------- the layer still works

    private static Dictionary<string, int[]> Outputs(Rig rig) =>
        ForwardOutputs.Concat(BackwardOutputs).ToDictionary(n => n, n => Bits(rig.Read(n)));

    [TestCase(false)]
    [TestCase(true)]
    public void AfterRejectedCalls_LayerMatchesFreshLayerBitForBit(bool checkFinite)
    {
        Dictionary<string, int[]> expected;
        using (var freshLayer = new FastWeightRnnLayer(Cpu, Options(checkFinite)))
        using (var fresh = new Rig(freshLayer))
        {
            fresh.Forward();
            fresh.Backward();
            expected = Outputs(fresh);
        }

        var l = checkFinite ? checkedLayer : layer;
        using var rig = new Rig(l);
        var goodX = rig.V["x"];
        var goodDy = rig.V["dy"];

        Assert.Throws<InvalidOperationException>(() => rig.Backward());
        rig.V["x"] = rig.Alloc(Foreign, Length("x"));
        Assert.Throws<ArgumentException>(() => rig.Forward());
        rig.V["x"] = goodX.SubView(0, Length("x") - 1);
        Assert.Throws<ArgumentException>(() => rig.Forward());
        rig.V["x"] = goodX;
        Assert.Throws<ArgumentOutOfRangeException>(() => rig.Forward(time: T + 1));
        if (checkFinite)
            AssertRejectsElement(rig, "x", 4, float.NaN, () => rig.Forward());

        rig.Forward();

        // Rejected calls between the forward and its backward.
        Assert.Throws<ArgumentException>(() => rig.Forward(stream: Foreign.DefaultStream));
        rig.V["dy"] = rig.Alloc(Foreign, Length("dy"));
        Assert.Throws<ArgumentException>(() => rig.Backward());
        rig.V["dy"] = goodDy;
        Assert.Throws<InvalidOperationException>(() => rig.Backward(batch: 1));
        if (checkFinite)
            AssertRejectsElement(rig, "dy", 0, float.PositiveInfinity, () => rig.Backward());

        rig.Backward();
        var actual = Outputs(rig);
        Assert.Multiple(() =>
        {
            foreach (var (name, bits) in expected)
                Assert.That(actual[name], Is.EqualTo(bits), name);
        });
    }

    // ---------------------------------------------------------------- host path

    private static readonly string[] HostArrays = ["X", "H0", "A0", "W", "C", "B", "LnGain", "LnBias", "Dy", "DhT", "DAT"];

    private static long HostLength(string name) => name switch
    {
        "X" => Length("x"), "H0" => Length("h0"), "A0" => Length("a0"), "Dy" => Length("dy"), "DhT" => Length("dhT"),
        "DAT" => Length("dAT"), _ => Length(name),
    };

    private static FastWeightRnnHostInputs HostInputs(string? replace = null, float[]? with = null, bool omitDy = false,
        int batch = B, int time = T)
    {
        float[] Get(string name)
        {
            if (name == replace) return with!;
            var a = new float[HostLength(name)];
            for (int k = 0; k < a.Length; k++) a[k] = name == "LnGain" ? 1f : 0.3f * MathF.Cos(k + name.Length);
            return a;
        }
        return new FastWeightRnnHostInputs
        {
            Batch = batch, Time = time,
            X = Get("X"), H0 = Get("H0"), A0 = Get("A0"), W = Get("W"), C = Get("C"), B = Get("B"),
            LnGain = Get("LnGain"), LnBias = Get("LnBias"),
            Dy = omitDy ? null : Get("Dy"), DhT = Get("DhT"), DAT = Get("DAT"),
        };
    }

    public static IEnumerable<TestCaseData> HostNames() => HostArrays.Select(n => new TestCaseData(n).SetName($"Host_{n}"));

    [TestCaseSource(nameof(HostNames))]
    public void Host_WrongLength_Throws(string name)
    {
        AssertNames<ArgumentException>(() => FastWeightRnnHost.Run(layer, HostInputs(name, new float[HostLength(name) + 1])), name);
        AssertNames<ArgumentException>(() => FastWeightRnnHost.Run(layer, HostInputs(name, new float[HostLength(name) - 1])), name);
    }

    [TestCaseSource(nameof(HostNames))]
    public void Host_NonFinite_ThrowsWhenChecking(string name)
    {
        var data = new float[HostLength(name)];
        data[^1] = float.NaN;
        AssertNames<ArgumentException>(() => FastWeightRnnHost.Run(layer, HostInputs(name, data), checkFinite: true), name);
        data[^1] = float.NegativeInfinity;
        AssertNames<ArgumentException>(() => FastWeightRnnHost.Run(layer, HostInputs(name, data)), name);
    }

    [Test]
    public void Host_NonFinite_AcceptedWhenNotChecking()
    {
        var x = new float[HostLength("X")];
        x[0] = float.NaN;
        var result = FastWeightRnnHost.Run(layer, HostInputs("X", x), checkFinite: false);
        Assert.That(result.Y, Has.Length.EqualTo(Length("y")));
    }

    [TestCase("DhT")]
    [TestCase("DAT")]
    public void Host_StateGradientWithoutDy_Throws(string given)
    {
        var inputs = HostInputs(omitDy: true);
        inputs = new FastWeightRnnHostInputs
        {
            Batch = inputs.Batch, Time = inputs.Time, X = inputs.X, W = inputs.W, C = inputs.C, B = inputs.B,
            LnGain = inputs.LnGain, LnBias = inputs.LnBias,
            DhT = given == "DhT" ? inputs.DhT : null, DAT = given == "DAT" ? inputs.DAT : null,
        };
        AssertNames<ArgumentException>(() => FastWeightRnnHost.Run(layer, inputs), "Dy");
    }

    [TestCase(0, T, "Batch")]
    [TestCase(B, 0, "Time")]
    public void Host_NonPositiveSize_Throws(int batch, int time, string param) =>
        AssertNames<ArgumentOutOfRangeException>(() => FastWeightRnnHost.Run(layer, HostInputs(batch: batch, time: time)), param);

    [Test]
    public void Host_MissingRequiredArray_Throws() =>
        AssertNames<ArgumentNullException>(() => FastWeightRnnHost.Run(layer, HostInputs("W", null)), "W");

    [Test]
    public void Host_NullArguments_Throw()
    {
        AssertNames<ArgumentNullException>(() => FastWeightRnnHost.Run(null!, HostInputs()), "layer");
        AssertNames<ArgumentNullException>(() => FastWeightRnnHost.Run(layer, null!), "inputs");
    }

    [Test]
    public void Host_AfterRejectedCall_MatchesFreshLayer()
    {
        Assert.Throws<ArgumentException>(() => FastWeightRnnHost.Run(layer, HostInputs("C", new float[3])));
        var again = FastWeightRnnHost.Run(layer, HostInputs());
        using var fresh = new FastWeightRnnLayer(Cpu, Options());
        var expected = FastWeightRnnHost.Run(fresh, HostInputs());
        Assert.Multiple(() =>
        {
            Assert.That(Bits(again.Y), Is.EqualTo(Bits(expected.Y)), "y");
            Assert.That(Bits(again.AT), Is.EqualTo(Bits(expected.AT)), "AT");
            Assert.That(Bits(again.DW!), Is.EqualTo(Bits(expected.DW!)), "dW");
            Assert.That(Bits(again.DX!), Is.EqualTo(Bits(expected.DX!)), "dx");
        });
    }
}
