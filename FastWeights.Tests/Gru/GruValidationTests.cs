using FastWeights.Kernels.Core;
using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Gru;
using FastWeights.Tests.Support;
using ILGPU;
using ILGPU.Runtime;
using NUnit.Framework;

namespace FastWeights.Tests.Gru;

/// <summary>
/// The checks at the public boundary of <see cref="GruLayer"/> and <see cref="GruOptions"/>: the exception type,
/// the argument it names, that a rejected call leaves the caller's output buffers unchanged, and that the layer
/// still gives bit-identical results afterwards. Small sizes (B = 2, T = 3, I = 3, H = 4), thread schedule, CPU accelerator.
/// </summary>
[TestFixture]
public sealed class GruValidationTests
{
    private const int B = 2, T = 3, I = 3, H = 4;

    private static readonly string[] ForwardViews = ["y", "hT", "x", "h0", "WH", "WX", "InputLnGain", "InputLnBias", "RecurrentLnGain", "RecurrentLnBias"];
    private static readonly string[] ForwardOptional = ["h0"];
    private static readonly string[] BackwardViews =
        ["dx", "dh0", "DWH", "DWX", "DInputLnGain", "DInputLnBias", "DRecurrentLnGain", "DRecurrentLnBias", "dy", "dhT",
         "x", "WH", "WX", "InputLnGain", "InputLnBias", "RecurrentLnGain", "RecurrentLnBias"];
    private static readonly string[] BackwardOptional = ["dx", "dh0", "dhT"];
    private static readonly string[] ForwardOutputs = ["y", "hT"];
    private static readonly string[] BackwardOutputs = ["dx", "dh0", "DWH", "DWX", "DInputLnGain", "DInputLnBias", "DRecurrentLnGain", "DRecurrentLnBias"];

    private GruLayer layer = null!;
    private static Accelerator Cpu => Devices.Cpu.Accelerator;
    private static Accelerator Foreign => Devices.CpuNvidia.Accelerator;

    private static GruOptions Options(bool checkFinite = false) =>
        new() { InputSize = I, HiddenSize = H, Schedule = SweepSchedule.Thread, CheckFinite = checkFinite };

    [OneTimeSetUp]
    public void CreateLayer() => layer = new GruLayer(Cpu, Options());

    [OneTimeTearDown]
    public void DisposeLayer() => layer.Dispose();

    private static long Length(string name) => name switch
    {
        "x" or "dx" => (long)B * T * I,
        "y" or "dy" => (long)B * T * H,
        "hT" or "h0" or "dh0" or "dhT" => (long)B * H,
        "WH" or "DWH" => 3L * H * H,
        "WX" or "DWX" => 3L * H * I,
        "InputLnGain" or "InputLnBias" or "RecurrentLnGain" or "RecurrentLnBias"
            or "DInputLnGain" or "DInputLnBias" or "DRecurrentLnGain" or "DRecurrentLnBias" => 3 * H,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    /// <summary>Every view of one forward/backward call with deterministic data, and a workspace for (B, T).</summary>
    private sealed class Rig : IDisposable
    {
        private readonly List<MemoryBuffer> owned = [];
        private readonly GruLayer owner;

        public Rig(GruLayer owner)
        {
            this.owner = owner;
            int seed = 1;
            foreach (var name in ForwardViews.Concat(BackwardViews).Distinct())
            {
                var data = new float[Length(name)];
                for (int k = 0; k < data.Length; k++)
                    data[k] = name.Contains("LnGain") ? 1f + 0.1f * MathF.Sin(seed * 7 + k) : 0.4f * MathF.Sin(seed * 13 + k * 0.7f);
                var buffer = Cpu.Allocate1D(data);
                owned.Add(buffer);
                V[name] = buffer.View;
                seed++;
            }
            Workspace = owner.CreateWorkspace(B, T);
        }

        public Dictionary<string, ArrayView<float>> V { get; } = new();
        public GruWorkspace Workspace { get; }

        public ArrayView<float> Alloc(Accelerator acc, long length)
        {
            var buffer = acc.Allocate1D<float>(length);
            buffer.MemSetToZero();
            owned.Add(buffer);
            return buffer.View;
        }

        public ArrayView<float> Disposed(long length)
        {
            var buffer = Cpu.Allocate1D<float>(length);
            var view = buffer.View;
            buffer.Dispose();
            return view;
        }

        private GruParameters Parameters => new(V["WH"], V["WX"], V["InputLnGain"], V["InputLnBias"], V["RecurrentLnGain"], V["RecurrentLnBias"]);
        private GruParameterGradients Gradients => new(V["DWH"], V["DWX"], V["DInputLnGain"], V["DInputLnBias"], V["DRecurrentLnGain"], V["DRecurrentLnBias"]);

        public void Forward(GruLayer? l = null, GruWorkspace? ws = null, int batch = B, int time = T)
        {
            l ??= owner;
            l.Forward(l.Accelerator.DefaultStream, ws ?? Workspace, V["y"], V["hT"], V["x"], V["h0"], Parameters, batch, time);
            l.Accelerator.Synchronize();
        }

        public void Backward(GruLayer? l = null, GruWorkspace? ws = null, int batch = B, int time = T)
        {
            l ??= owner;
            l.Backward(l.Accelerator.DefaultStream, ws ?? Workspace, V["dx"], V["dh0"], Gradients,
                V["dy"], V["dhT"], V["x"], Parameters, batch, time);
            l.Accelerator.Synchronize();
        }

        public float[] Read(string name) => V[name].GetAsArray();

        public void FillSentinel(IEnumerable<string> names)
        {
            foreach (var name in names) V[name].CopyFromCPU(Sentinel(V[name].IntLength));
        }

        public void AssertSentinel(IEnumerable<string> names)
        {
            Assert.Multiple(() =>
            {
                foreach (var name in names)
                    Assert.That(Read(name), Is.EqualTo(Sentinel(V[name].IntLength)), $"{name} was changed by a rejected call");
            });
        }

        public void Dispose()
        {
            Workspace.Dispose();
            foreach (var b in owned) b.Dispose();
        }
    }

    private static float[] Sentinel(int length)
    {
        var s = new float[length];
        for (int k = 0; k < length; k++) s[k] = 9.6e6f + 977 * k;
        return s;
    }

    private static void AssertNames<TException>(Action call, string name) where TException : ArgumentException
    {
        var ex = Assert.Throws<TException>(() => call())!;
        Assert.That(ex.ParamName, Is.EqualTo(name), ex.Message);
        Assert.That(ex.Message, Does.Contain(name));
    }

    // ---------------------------------------------------------------- options and constructor

    public static IEnumerable<TestCaseData> BadOptions()
    {
        var ok = Options();
        TestCaseData Case(string label, GruOptions o, string param) => new TestCaseData(o, param).SetName($"Options_{label}_Rejected");
        yield return Case("InputSize0", ok with { InputSize = 0 }, "InputSize");
        yield return Case("HiddenSize0", ok with { HiddenSize = 0 }, "HiddenSize");
        yield return Case("HiddenSizeNegative", ok with { HiddenSize = -4 }, "HiddenSize");
        yield return Case("HiddenSizeTooLarge", ok with { HiddenSize = 30_000 }, "HiddenSize");
        yield return Case("InputSizeTooLarge", ok with { InputSize = int.MaxValue / 6 }, "InputSize");
        yield return Case("Epsilon0", ok with { LayerNormEpsilon = 0.0 }, "LayerNormEpsilon");
        yield return Case("EpsilonNaN", ok with { LayerNormEpsilon = double.NaN }, "LayerNormEpsilon");
        yield return Case("EpsilonInf", ok with { LayerNormEpsilon = double.PositiveInfinity }, "LayerNormEpsilon");
        yield return Case("ScheduleUndefined", ok with { Schedule = (SweepSchedule)(-1) }, "Schedule");
    }

    [TestCaseSource(nameof(BadOptions))]
    public void Options_OutOfRange_ThrowsNamingProperty(GruOptions options, string property)
    {
        AssertNames<ArgumentOutOfRangeException>(() => options.Validate(), property);
        AssertNames<ArgumentOutOfRangeException>(() => new GruLayer(Cpu, options).Dispose(), property);
    }

    [Test]
    public void Constructor_NullArguments_Throw()
    {
        AssertNames<ArgumentNullException>(() => new GruLayer(null!, Options()).Dispose(), "accelerator");
        AssertNames<ArgumentNullException>(() => new GruLayer(Cpu, null!).Dispose(), "options");
    }

    [Test]
    public void GroupSchedule_HiddenTooLargeForSharedMemory_Throws() =>
        AssertNames<ArgumentOutOfRangeException>(
            () => new GruLayer(Foreign, Options() with { HiddenSize = 8000, Schedule = SweepSchedule.Group }).Dispose(), "options");

    [Test]
    public void WorkspaceBytes_MatchesAllocationAndFormula()
    {
        using var ws = layer.CreateWorkspace(5, 7);
        long expected = 4L * (5 * 7 * (12 * H + 4) + 5 * 8 * H + 14 * 5 * H);
        Assert.That(ws.AllocatedBytes, Is.EqualTo(expected));
        Assert.That(layer.WorkspaceBytes(5, 7), Is.EqualTo(expected));
        Assert.That(GruLayer.WorkspaceBytes(5, 7, I, H), Is.EqualTo(expected));
    }

    [TestCase(0, T, I, H, "batch")]
    [TestCase(B, 0, I, H, "time")]
    [TestCase(B, T, 0, H, "input")]
    [TestCase(B, T, I, 0, "hidden")]
    public void StaticWorkspaceBytes_OutOfRange_Throws(int batch, int time, int input, int hidden, string param) =>
        AssertNames<ArgumentOutOfRangeException>(() => GruLayer.WorkspaceBytes(batch, time, input, hidden), param);

    [TestCase(0, T, "maxBatch")]
    [TestCase(B, 0, "maxTime")]
    public void CreateWorkspace_NonPositiveSize_Throws(int maxBatch, int maxTime, string param) =>
        AssertNames<ArgumentOutOfRangeException>(() => layer.CreateWorkspace(maxBatch, maxTime).Dispose(), param);

    // ---------------------------------------------------------------- views

    public static IEnumerable<TestCaseData> Views(bool backward) =>
        (backward ? BackwardViews : ForwardViews).Select(n => new TestCaseData(backward, n).SetName($"{(backward ? "Backward" : "Forward")}_{n}"));

    public static IEnumerable<TestCaseData> AllViews() => Views(false).Concat(Views(true));

    public static IEnumerable<TestCaseData> RequiredViews() =>
        AllViews().Where(c => !((bool)c.Arguments[0]! ? BackwardOptional : ForwardOptional).Contains((string)c.Arguments[1]!));

    private static void Call(Rig rig, bool backward)
    {
        if (backward) rig.Backward();
        else rig.Forward();
    }

    /// <summary>Runs a valid forward first for a backward case (a backward needs one), then arms the sentinels.</summary>
    private static Rig Prepared(GruLayer l, bool backward)
    {
        var rig = new Rig(l);
        if (backward) rig.Forward();
        rig.FillSentinel(backward ? BackwardOutputs : ForwardOutputs);
        return rig;
    }

    [TestCaseSource(nameof(RequiredViews))]
    public void MissingRequiredView_Throws_OutputsUntouched(bool backward, string name)
    {
        using var rig = Prepared(layer, backward);
        var keep = rig.V[name];
        rig.V[name] = default;
        AssertNames<ArgumentException>(() => Call(rig, backward), name);
        rig.V[name] = keep;
        rig.AssertSentinel((backward ? BackwardOutputs : ForwardOutputs).Where(n => n != name));
    }

    [TestCaseSource(nameof(AllViews))]
    public void ViewOneTooShort_Throws_OutputsUntouched(bool backward, string name)
    {
        using var rig = Prepared(layer, backward);
        var keep = rig.V[name];
        rig.V[name] = keep.SubView(0, Length(name) - 1);
        AssertNames<ArgumentException>(() => Call(rig, backward), name);
        rig.V[name] = keep;
        rig.AssertSentinel(backward ? BackwardOutputs : ForwardOutputs);
    }

    [TestCaseSource(nameof(AllViews))]
    public void ViewOnAnotherAccelerator_Throws(bool backward, string name)
    {
        using var rig = Prepared(layer, backward);
        rig.V[name] = rig.Alloc(Foreign, Length(name));
        AssertNames<ArgumentException>(() => Call(rig, backward), name);
    }

    [TestCaseSource(nameof(AllViews))]
    public void DisposedBuffer_Throws(bool backward, string name)
    {
        using var rig = Prepared(layer, backward);
        rig.V[name] = rig.Disposed(Length(name));
        var ex = Assert.Throws<ObjectDisposedException>(() => Call(rig, backward))!;
        Assert.That(ex.ObjectName, Is.EqualTo(name));
    }

    [Test]
    public void OptionalViewsOmitted_Run()
    {
        using var rig = new Rig(layer);
        foreach (var name in ForwardOptional.Concat(BackwardOptional)) rig.V[name] = default;
        rig.Forward();
        rig.Backward();
        Assert.That(rig.Read("DWH").All(float.IsFinite), Is.True);
    }

    // ---------------------------------------------------------------- sizes, workspace, order of calls

    [TestCase(false, 0, T, "batch")]
    [TestCase(false, B, 0, "time")]
    [TestCase(false, B + 1, T, "batch")]
    [TestCase(false, B, T + 1, "time")]
    [TestCase(true, B + 1, T, "batch")]
    [TestCase(true, B, -1, "time")]
    public void BatchOrTimeOutOfRange_Throws(bool backward, int batch, int time, string param)
    {
        using var rig = Prepared(layer, backward);
        AssertNames<ArgumentOutOfRangeException>(() =>
        {
            if (backward) rig.Backward(batch: batch, time: time);
            else rig.Forward(batch: batch, time: time);
        }, param);
    }

    [Test]
    public void Backward_BeforeAnyForward_Throws()
    {
        using var rig = new Rig(layer);
        Assert.Throws<InvalidOperationException>(() => rig.Backward());
    }

    [Test]
    public void Backward_ShapeOtherThanLastForward_Throws()
    {
        using var rig = new Rig(layer);
        rig.Forward();
        Assert.Throws<InvalidOperationException>(() => rig.Backward(batch: 1, time: 1));
    }

    [Test]
    public void Backward_WhenAnotherLayerRanTheLastForward_Throws()
    {
        using var other = new GruLayer(Cpu, Options());
        using var rig = new Rig(layer);
        rig.Forward(l: other, ws: rig.Workspace);
        Assert.Throws<InvalidOperationException>(() => rig.Backward());
    }

    [Test]
    public void WorkspaceOfLayerWithOtherHiddenSize_Throws()
    {
        using var other = new GruLayer(Cpu, Options() with { HiddenSize = H + 1 });
        using var ws = other.CreateWorkspace(B, T);
        using var rig = new Rig(layer);
        AssertNames<ArgumentException>(() => rig.Forward(ws: ws), "workspace");
    }

    [Test]
    public void DisposedLayerOrWorkspace_Throws()
    {
        var l = new GruLayer(Cpu, Options());
        using var rig = new Rig(l);
        rig.Workspace.Dispose();
        Assert.Throws<ObjectDisposedException>(() => rig.Forward());
        l.Dispose();
        Assert.Throws<ObjectDisposedException>(() => l.CreateWorkspace(B, T));
    }

    // ---------------------------------------------------------------- non-finite inputs

    [TestCase(false, "x")]
    [TestCase(false, "h0")]
    [TestCase(false, "WH")]
    [TestCase(false, "WX")]
    [TestCase(false, "InputLnGain")]
    [TestCase(false, "RecurrentLnBias")]
    [TestCase(true, "dy")]
    [TestCase(true, "dhT")]
    public void CheckFinite_NaN_ThrowsNamingArgument_OutputsUntouched(bool backward, string name)
    {
        using var checkedLayer = new GruLayer(Cpu, Options(checkFinite: true));
        using var rig = Prepared(checkedLayer, backward);
        var data = rig.Read(name);
        data[1] = float.NaN;
        rig.V[name].CopyFromCPU(data);
        AssertNames<ArgumentException>(() => Call(rig, backward), name);
        rig.AssertSentinel(backward ? BackwardOutputs : ForwardOutputs);
    }

    /// <summary>The backward only reads the tape, so it may be repeated for another dy.</summary>
    [Test]
    public void Backward_Repeated_GivesIdenticalGradients()
    {
        using var rig = new Rig(layer);
        rig.Forward();
        rig.Backward();
        var first = BackwardOutputs.ToDictionary(n => n, rig.Read);
        rig.Backward();
        foreach (var (name, values) in first)
            Assert.That(rig.Read(name), Is.EqualTo(values), name);
    }

    [Test]
    public void AfterRejectedCalls_ResultsAreBitIdentical()
    {
        using var rig = new Rig(layer);
        rig.Forward();
        rig.Backward();
        var before = BackwardOutputs.Concat(ForwardOutputs).ToDictionary(n => n, rig.Read);
        var keep = rig.V["x"];
        rig.V["x"] = keep.SubView(0, 1);
        Assert.Throws<ArgumentException>(() => rig.Forward());
        Assert.Throws<ArgumentException>(() => rig.Backward());
        rig.V["x"] = keep;
        rig.Forward();
        rig.Backward();
        foreach (var (name, values) in before)
            Assert.That(rig.Read(name), Is.EqualTo(values), name);
    }
}
