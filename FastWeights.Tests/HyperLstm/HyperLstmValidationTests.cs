using FastWeights.Kernels.Core;
using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.HyperLstm;
using FastWeights.Tests.Support;
using ILGPU;
using ILGPU.Runtime;
using NUnit.Framework;

namespace FastWeights.Tests.HyperLstm;

/// <summary>
/// The checks at the public boundary of <see cref="HyperLstmLayer"/> and <see cref="HyperLstmOptions"/>: exception type,
/// the argument named, outputs unchanged by a rejected call, and the tape-consumption rule. B = 2, T = 3, I = 3, H = 4,
/// N_h = 3, N_z = 2, thread schedule, CPU accelerator.
/// </summary>
[TestFixture]
public sealed class HyperLstmValidationTests
{
    private const int B = 2, T = 3, I = 3, H = 4, N = 3, Z = 2;

    private static readonly string[] Weights =
    [
        "WH", "WX", "B", "LnGain", "LnBias", "CellLnGain", "CellLnBias", "HyperWH", "HyperWHMain", "HyperWX", "HyperB",
        "HyperLnGain", "HyperLnBias", "HyperCellLnGain", "HyperCellLnBias", "WZ", "BZ", "WD",
    ];
    private static readonly string[] ForwardOutputs = ["y", "hT", "cT", "hyperHT", "hyperCT"];
    private static readonly string[] ForwardOptional = ["h0", "c0", "hyperH0", "hyperC0"];
    private static readonly string[] ForwardViews = [.. ForwardOutputs, "x", .. ForwardOptional, .. Weights];
    private static readonly string[] BackwardOutputs = ["dx", "dh0", "dc0", "dHyperH0", "dHyperC0", .. Weights.Select(w => "D" + w)];
    private static readonly string[] BackwardOptional = ["dx", "dh0", "dc0", "dHyperH0", "dHyperC0", "dhT", "dcT", "dHyperHT", "dHyperCT"];
    private static readonly string[] BackwardViews = [.. BackwardOutputs, "dy", "dhT", "dcT", "dHyperHT", "dHyperCT", "x", .. Weights];

    private static Accelerator Cpu => Devices.Cpu.Accelerator;
    private static Accelerator Foreign => Devices.CpuNvidia.Accelerator;
    private HyperLstmLayer layer = null!;

    private static HyperLstmOptions Options(bool checkFinite = false) => new()
    {
        InputSize = I, HiddenSize = H, HyperHiddenSize = N, EmbeddingSize = Z, Schedule = SweepSchedule.Thread, CheckFinite = checkFinite,
    };

    [OneTimeSetUp]
    public void CreateLayer() => layer = new HyperLstmLayer(Cpu, Options());

    [OneTimeTearDown]
    public void DisposeLayer() => layer.Dispose();

    private static long Length(string name)
    {
        var shapes = HyperLstmCase.Random(B, T, I, H, N, Z, seed: 1);
        string key = name.StartsWith('D') ? name[1..] : name;
        return name switch
        {
            "x" or "dx" => (long)B * T * I,
            "y" or "dy" => (long)B * T * H,
            "hT" or "cT" or "h0" or "c0" or "dh0" or "dc0" or "dhT" or "dcT" => (long)B * H,
            "hyperHT" or "hyperCT" or "hyperH0" or "hyperC0" or "dHyperH0" or "dHyperC0" or "dHyperHT" or "dHyperCT" => (long)B * N,
            _ => shapes.Length(key),
        };
    }

    private sealed class Rig : IDisposable
    {
        private readonly List<MemoryBuffer> owned = [];
        private readonly HyperLstmLayer owner;

        public Rig(HyperLstmLayer owner)
        {
            this.owner = owner;
            int seed = 1;
            foreach (var name in ForwardViews.Concat(BackwardViews).Distinct())
            {
                var data = new float[Length(name)];
                for (int k = 0; k < data.Length; k++)
                    data[k] = name.Contains("LnGain") ? 1f + 0.1f * MathF.Sin(seed * 7 + k) : 0.4f * MathF.Sin(seed * 13 + k * 0.7f);
                V[name] = Keep(Cpu.Allocate1D(data));
                seed++;
            }
            Workspace = owner.CreateWorkspace(B, T);
        }

        public Dictionary<string, ArrayView<float>> V { get; } = new();
        public HyperLstmWorkspace Workspace { get; }

        public ArrayView<float> Keep(MemoryBuffer1D<float, Stride1D.Dense> buffer)
        {
            owned.Add(buffer);
            return buffer.View;
        }

        private HyperLstmParameters P(string prefix = "")
        {
            var w = Weights.Select(n => V[prefix + n]).ToArray();
            return new(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15], w[16], w[17]);
        }

        private HyperLstmParameterGradients G()
        {
            var w = Weights.Select(n => V["D" + n]).ToArray();
            return new(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15], w[16], w[17]);
        }

        private HyperLstmState S(string h, string c, string hh, string hc) => new(V[h], V[c], V[hh], V[hc]);

        public void Forward(HyperLstmLayer? l = null, int batch = B, int time = T)
        {
            l ??= owner;
            l.Forward(l.Accelerator.DefaultStream, Workspace, V["y"], S("hT", "cT", "hyperHT", "hyperCT"), V["x"],
                S("h0", "c0", "hyperH0", "hyperC0"), P(), batch, time);
            l.Accelerator.Synchronize();
        }

        public void Backward(HyperLstmLayer? l = null, int batch = B, int time = T)
        {
            l ??= owner;
            l.Backward(l.Accelerator.DefaultStream, Workspace, V["dx"], S("dh0", "dc0", "dHyperH0", "dHyperC0"), G(), V["dy"],
                S("dhT", "dcT", "dHyperHT", "dHyperCT"), V["x"], P(), batch, time);
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

    public static IEnumerable<TestCaseData> BadOptions()
    {
        var ok = Options();
        TestCaseData Case(string label, HyperLstmOptions o, string param) => new TestCaseData(o, param).SetName($"Options_{label}_Rejected");
        yield return Case("InputSize0", ok with { InputSize = 0 }, "InputSize");
        yield return Case("HiddenSize0", ok with { HiddenSize = 0 }, "HiddenSize");
        yield return Case("HyperHiddenSize0", ok with { HyperHiddenSize = 0 }, "HyperHiddenSize");
        yield return Case("EmbeddingSize0", ok with { EmbeddingSize = -1 }, "EmbeddingSize");
        yield return Case("HiddenSizeTooLarge", ok with { HiddenSize = 30_000 }, "HiddenSize");
        yield return Case("EpsilonNaN", ok with { LayerNormEpsilon = double.NaN }, "LayerNormEpsilon");
        yield return Case("ScheduleUndefined", ok with { Schedule = (SweepSchedule)9 }, "Schedule");
    }

    [TestCaseSource(nameof(BadOptions))]
    public void Options_OutOfRange_ThrowsNamingProperty(HyperLstmOptions options, string property)
    {
        AssertNames<ArgumentOutOfRangeException>(() => options.Validate(), property);
        AssertNames<ArgumentOutOfRangeException>(() => new HyperLstmLayer(Cpu, options).Dispose(), property);
    }

    [Test]
    public void WorkspaceBytes_MatchesAllocationAndFormula()
    {
        using var ws = layer.CreateWorkspace(5, 7);
        long expected = 4L * (5 * 7 * (25 * H + 9 * N + 24 * Z + 10) + 2 * 5 * 8 * (H + N) + 5 * (16 * H + 12 * N));
        Assert.That(ws.AllocatedBytes, Is.EqualTo(expected));
        Assert.That(layer.WorkspaceBytes(5, 7), Is.EqualTo(expected));
        Assert.That(HyperLstmLayer.WorkspaceBytes(5, 7, I, H, N, Z), Is.EqualTo(expected));
    }

    public static IEnumerable<TestCaseData> Views(bool backward) =>
        (backward ? BackwardViews : ForwardViews).Select(n => new TestCaseData(backward, n).SetName($"{(backward ? "Backward" : "Forward")}_{n}"));

    public static IEnumerable<TestCaseData> AllViews() => Views(false).Concat(Views(true));

    public static IEnumerable<TestCaseData> RequiredViews() =>
        AllViews().Where(c => !((bool)c.Arguments[0]! ? BackwardOptional : ForwardOptional).Contains((string)c.Arguments[1]!));

    private static Rig Prepared(HyperLstmLayer l, bool backward)
    {
        var rig = new Rig(l);
        if (backward) rig.Forward();
        rig.FillSentinel(backward ? BackwardOutputs : ForwardOutputs);
        return rig;
    }

    private static void Call(Rig rig, bool backward)
    {
        if (backward) rig.Backward();
        else rig.Forward();
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
        rig.V[name] = rig.Keep(Foreign.Allocate1D<float>(Length(name)));
        AssertNames<ArgumentException>(() => Call(rig, backward), name);
    }

    [Test]
    public void OptionalViewsOmitted_Run()
    {
        using var rig = new Rig(layer);
        foreach (var name in ForwardOptional.Concat(BackwardOptional)) rig.V[name] = default;
        rig.Forward();
        rig.Backward();
        Assert.That(rig.Read("DWD").All(float.IsFinite), Is.True);
    }

    [Test]
    public void SecondBackward_WithoutNewForward_Throws()
    {
        using var rig = new Rig(layer);
        rig.Forward();
        rig.Backward();
        var ex = Assert.Throws<InvalidOperationException>(() => rig.Backward())!;
        Assert.That(ex.Message, Does.Contain("consumes"));
        rig.Forward();
        Assert.DoesNotThrow(() => rig.Backward());
    }

    [TestCase(false, B + 1, T, "batch")]
    [TestCase(false, B, 0, "time")]
    [TestCase(true, B, T + 1, "time")]
    public void BatchOrTimeOutOfRange_Throws(bool backward, int batch, int time, string param)
    {
        using var rig = Prepared(layer, backward);
        AssertNames<ArgumentOutOfRangeException>(() =>
        {
            if (backward) rig.Backward(batch: batch, time: time);
            else rig.Forward(batch: batch, time: time);
        }, param);
    }

    [TestCase(false, "x")]
    [TestCase(false, "hyperC0")]
    [TestCase(false, "WD")]
    [TestCase(true, "dy")]
    [TestCase(true, "dHyperHT")]
    public void CheckFinite_NaN_ThrowsNamingArgument_OutputsUntouched(bool backward, string name)
    {
        using var checkedLayer = new HyperLstmLayer(Cpu, Options(checkFinite: true));
        using var rig = Prepared(checkedLayer, backward);
        var data = rig.Read(name);
        data[0] = float.PositiveInfinity;
        rig.V[name].CopyFromCPU(data);
        AssertNames<ArgumentException>(() => Call(rig, backward), name);
        rig.AssertSentinel(backward ? BackwardOutputs : ForwardOutputs);
    }
}
