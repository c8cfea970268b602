using FastWeights.Kernels.LinearFastWeights;
using static FastWeights.Tests.Support.Rejections;

namespace FastWeights.Tests.Kernels.LinearFastWeights;

/// <summary>
/// Every check at the public boundary of <see cref="LinearFastWeightLayer"/> and <see cref="LinearFastWeightOptions"/>:
/// the exception type, the argument it names, and that nothing in the caller's buffers changes on a rejected call.
/// Two layers: the delta rule (β in use) and the normalised sum rule (z in use), so every view is required, optional
/// or forbidden in one of them. Small sizes (B = 2, T = 3, heads = 2, d = 2, m = 3, DPFP-1 so d' = 4), thread schedule.
/// </summary>
public sealed class LinearFastWeightValidationTests
{
    private const int B = 2, T = 3, Heads = 2, d = 2, m = 3, Df = 4;

    private static readonly string[] ForwardOutputs = ["y", "wT", "zT"];
    private static readonly string[] ForwardInputs = ["q", "k", "v", "beta", "w0", "z0"];
    private static readonly string[] BackwardOutputs = ["dq", "dk", "dv", "dbeta", "dw0", "dz0"];
    private static readonly string[] BackwardInputs = ["dy", "dwT", "dzT"];
    private static readonly string[] All = [.. ForwardOutputs, .. ForwardInputs, .. BackwardOutputs, .. BackwardInputs];

    private static Accelerator Cpu => Devices.Cpu.Accelerator;
    private static Accelerator Foreign => Devices.CpuNvidia.Accelerator;

    private static LinearFastWeightOptions Options(UpdateRule rule, bool checkFinite = false) => new()
    {
        Heads = Heads, KeySize = d, ValueSize = m, FeatureMap = FeatureMap.Dpfp1, Rule = rule, Normalize = true,
        Schedule = SweepSchedule.Thread, CheckFinite = checkFinite,
    };

    /// <summary>Whether the named view is used by the rule (β for delta, z for the normalised sum rule).</summary>
    private static bool Used(string name, UpdateRule rule) => name switch
    {
        "beta" or "dbeta" => rule == UpdateRule.Delta,
        "zT" or "z0" or "dz0" or "dzT" => rule == UpdateRule.Sum,
        _ => true,
    };

    private static bool Required(string name, UpdateRule rule) =>
        Used(name, rule) && name is "y" or "wT" or "q" or "k" or "v" or "dq" or "dk" or "dv" or "dy" or "beta" or "dbeta";

    private static long Length(string name) => name switch
    {
        "q" or "k" or "dq" or "dk" => (long)B * T * Heads * d,
        "v" or "y" or "dv" or "dy" => (long)B * T * Heads * m,
        "beta" or "dbeta" => (long)B * T * Heads,
        "wT" or "w0" or "dw0" or "dwT" => (long)B * Heads * m * Df,
        "zT" or "z0" or "dz0" or "dzT" => (long)B * Heads * Df,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    /// <summary>Every view of one forward/backward call (unused ones empty), deterministic data, and a workspace.</summary>
    private sealed class Rig : ViewRig<LinearFastWeightWorkspace>
    {
        public Rig(LinearFastWeightLayer layer)
        {
            Layer = layer;
            int seed = 1;
            foreach (var name in All)
            {
                if (Used(name, layer.Options.Rule))
                {
                    var data = new float[Length(name)];
                    for (int i = 0; i < data.Length; i++) data[i] = 0.4f * MathF.Sin(seed * 13 + i * 0.7f) + (name is "z0" ? 1f : 0f);
                    V[name] = Upload(Cpu, data);
                }
                else
                    V[name] = default;
                seed++;
            }
            Workspace = layer.CreateWorkspace(B, T);
        }

        public LinearFastWeightLayer Layer { get; }

        public void Forward(LinearFastWeightLayer? l = null, AcceleratorStream? stream = null, LinearFastWeightWorkspace? ws = null, int batch = B, int time = T)
        {
            l ??= Layer;
            l.Forward(stream ?? l.Accelerator.DefaultStream, ws ?? Workspace, V["y"], V["wT"], V["zT"],
                V["q"], V["k"], V["v"], V["beta"], V["w0"], V["z0"], batch, time);
            l.Accelerator.Synchronize();
        }

        public void Backward(LinearFastWeightLayer? l = null, AcceleratorStream? stream = null, LinearFastWeightWorkspace? ws = null, int batch = B, int time = T)
        {
            l ??= Layer;
            l.Backward(stream ?? l.Accelerator.DefaultStream, ws ?? Workspace, V["dq"], V["dk"], V["dv"], V["dbeta"], V["dw0"], V["dz0"],
                V["dy"], V["dwT"], V["dzT"], V["q"], V["k"], V["v"], V["beta"], V["w0"], V["z0"], batch, time);
            l.Accelerator.Synchronize();
        }

        public void Call(bool backward, LinearFastWeightLayer? l = null, AcceleratorStream? stream = null, LinearFastWeightWorkspace? ws = null, int batch = B, int time = T)
        {
            if (backward) Backward(l, stream, ws, batch, time);
            else Forward(l, stream, ws, batch, time);
        }

        /// <summary>Outputs that are present, of the right length, live and on the CPU accelerator: those a rejected call could have touched.</summary>
        private IEnumerable<string> CheckableOutputs() =>
            ForwardOutputs.Concat(BackwardOutputs).Where(n =>
                V[n].IsValid && V[n].Length == Length(n) && ((IArrayView)V[n]).Buffer is { IsDisposed: false } b && ReferenceEquals(b.Accelerator, Cpu));

        /// <summary>Fills every checkable output with a sentinel pattern (unlike anything the layer writes).</summary>
        public void FillOutputs()
        {
            foreach (var name in CheckableOutputs())
                V[name].CopyFromCPU(Sentinel(V[name].IntLength));
        }

        public void AssertOutputsUntouched()
        {
            Assert.Multiple(() =>
            {
                foreach (var name in CheckableOutputs())
                    Assert.That(V[name].GetAsArray(), Is.EqualTo(Sentinel(V[name].IntLength)), $"{name} was changed by a rejected call");
            });
        }
    }

    // ---------------------------------------------------------------- options

    public static IEnumerable<TestCaseData> BadOptions()
    {
        var ok = Options(UpdateRule.Delta);
        TestCaseData Case(string label, LinearFastWeightOptions o, string param) =>
            new TestCaseData(new Func<LinearFastWeightOptions>(() => o), param).SetName($"Options_{label}_Rejected");
        yield return Case("Heads0", ok with { Heads = 0 }, "Heads");
        yield return Case("KeySize0", ok with { KeySize = 0 }, "KeySize");
        yield return Case("KeySizeHuge", ok with { KeySize = int.MaxValue / 4 }, "KeySize");
        yield return Case("ValueSizeNegative", ok with { ValueSize = -1 }, "ValueSize");
        yield return Case("ValueSizeHuge", ok with { ValueSize = 1 << 28 }, "ValueSize");
        yield return Case("MapUndefined", ok with { FeatureMap = (FeatureMap)9 }, "FeatureMap");
        yield return Case("RuleUndefined", ok with { Rule = (UpdateRule)2 }, "Rule");
        yield return Case("ScheduleUndefined", ok with { Schedule = (SweepSchedule)(-1) }, "Schedule");
        yield return Case("Epsilon0", ok with { Epsilon = 0 }, "Epsilon");
        yield return Case("EpsilonNaN", ok with { Epsilon = double.NaN }, "Epsilon");
        yield return Case("EpsilonInf", ok with { Epsilon = double.PositiveInfinity }, "Epsilon");
        yield return Case("MaxAnchorsNegative", ok with { MaxAnchors = -1 }, "MaxAnchors");
    }

    /// <summary>Normalising signed (identity) features divides by a sum that can be 0 or negative: refused for both rules.</summary>
    [TestCase(UpdateRule.Delta)]
    [TestCase(UpdateRule.Sum)]
    public void Options_IdentityWithNormalisation_Refused(UpdateRule rule)
    {
        var o = Options(rule) with { FeatureMap = FeatureMap.Identity };
        AssertNames<ArgumentException>(() => o.Validate(), "Normalize");
        Assert.That(Assert.Throws<ArgumentException>(() => o.Validate())!.Message, Does.Contain("non-negative feature map"));
        AssertNames<ArgumentException>(() => new LinearFastWeightLayer(Cpu, o).Dispose(), "Normalize");
        Assert.DoesNotThrow(() => new LinearFastWeightLayer(Cpu, o with { Normalize = false }).Dispose());
    }

    [TestCaseSource(nameof(BadOptions))]
    public void Options_OutOfRange_ThrowsNamingProperty(Func<LinearFastWeightOptions> options, string property)
    {
        var o = options();
        AssertNames<ArgumentOutOfRangeException>(() => o.Validate(), property);
        AssertNames<ArgumentOutOfRangeException>(() => new LinearFastWeightLayer(Cpu, o).Dispose(), property);
        AssertNames<ArgumentOutOfRangeException>(() => LinearFastWeightLayer.WorkspaceBytes(o, B, T), property);
    }

    [Test]
    public void Constructor_NullOrDisposedArguments_Throw()
    {
        AssertNames<ArgumentNullException>(() => new LinearFastWeightLayer(null!, Options(UpdateRule.Delta)).Dispose(), "accelerator");
        AssertNames<ArgumentNullException>(() => new LinearFastWeightLayer(Cpu, null!).Dispose(), "options");
        var device = ComputeDevice.Open(AcceleratorKind.Cpu);
        var acc = device.Accelerator;
        device.Dispose();
        AssertDisposed(() => new LinearFastWeightLayer(acc, Options(UpdateRule.Delta)).Dispose(), "accelerator");
    }

    [Test]
    public void GroupSchedule_TooLargeForSharedMemory_ThrowsNamingOptions()
    {
        // d' = 6·4096 floats of four vectors alone exceed the 48 KiB of the NVIDIA-shaped CPU device.
        var o = Options(UpdateRule.Delta) with { KeySize = 4096, FeatureMap = FeatureMap.Dpfp3, Schedule = SweepSchedule.Group };
        AssertNames<ArgumentOutOfRangeException>(() => new LinearFastWeightLayer(Foreign, o).Dispose(), "options");
    }

    [TestCase(0, T, "batch")]
    [TestCase(B, 0, "time")]
    [TestCase(B, -5, "time")]
    [TestCase(1, 1 << 24, "time")]
    public void WorkspaceBytes_OutOfRange_Throws(int batch, int time, string param)
    {
        AssertNames<ArgumentOutOfRangeException>(() => LinearFastWeightLayer.WorkspaceBytes(Options(UpdateRule.Delta), batch, time), param);
        AssertNames<ArgumentOutOfRangeException>(() => LinearFastWeightLayer.StoreAllBytes(Options(UpdateRule.Delta), batch, time), param);
    }

    [Test]
    public void WorkspaceBytes_AreWhatIsAllocated_AndStoreAllAddsTheHistory()
    {
        foreach (var rule in Enum.GetValues<UpdateRule>())
        {
            using var layer = new LinearFastWeightLayer(Cpu, Options(rule));
            using var ws = layer.CreateWorkspace(B, T);
            Assert.That(ws.AllocatedBytes, Is.EqualTo(layer.WorkspaceBytes(B, T)));
            // Compensated sums (the default) cost two more copies of W (and of z when it is state); off, one float each.
            using var plain = new LinearFastWeightLayer(Cpu, Options(rule) with { CompensatedSums = false });
            using var plainWs = plain.CreateWorkspace(B, T);
            Assert.That(plainWs.AllocatedBytes, Is.EqualTo(plain.WorkspaceBytes(B, T)));
            long zs = layer.Options.KeepsNormalizer ? 2L * B * Heads * Df : 2;
            Assert.That(layer.WorkspaceBytes(B, T) - plain.WorkspaceBytes(B, T), Is.EqualTo(4L * (2L * B * Heads * m * Df + zs - 4)));
            // Store-all keeps W before every step and so needs no anchors: it adds the history and drops the anchor slots.
            var plan = ws.Plan;
            Assert.That(plan.AnchorSlots, Is.EqualTo(T - 1), "16 + ⌈T/64⌉ slots asked for, at most T − 1 usable");
            long anchors = 4L * (B * Heads * plan.AnchorSlots * m * Df - 1) + 4L * (B * Heads * plan.AnchorSlots - 1);
            long history = 4L * B * Heads * T * m * Df;
            Assert.That(LinearFastWeightLayer.StoreAllBytes(layer.Options, B, T), Is.EqualTo(layer.WorkspaceBytes(B, T) + history - 4 - anchors));
        }
    }

    /// <summary>
    /// The anchors' memory is known before any launch: min(MaxAnchors, T − 1) copies of W (m·d' floats) and their step
    /// indices per (sequence, head), on top of the 2·B·heads status floats; null asks for 16 + ⌈T/64⌉.
    /// </summary>
    [TestCase(null, 100, 16 + 2)]
    [TestCase(null, 4096, 16 + 64)]
    [TestCase(3, 100, 3)]
    [TestCase(50, 20, 19)]
    [TestCase(0, 20, 0)]
    public void WorkspaceBytes_CountTheAnchorSlots(int? maxAnchors, int time, int slots)
    {
        var o = Options(UpdateRule.Delta) with { MaxAnchors = maxAnchors };
        var none = Options(UpdateRule.Delta) with { MaxAnchors = 0 };
        Assert.That(new LinearWorkspacePlan(B, time, o).AnchorSlots, Is.EqualTo(slots));
        long expected = slots == 0 ? 0 : 4L * (B * Heads * slots * m * Df - 1) + 4L * (B * Heads * slots - 1);
        Assert.That(LinearFastWeightLayer.WorkspaceBytes(o, B, time) - LinearFastWeightLayer.WorkspaceBytes(none, B, time), Is.EqualTo(expected));
        using var layer = new LinearFastWeightLayer(Cpu, o);
        using var ws = layer.CreateWorkspace(B, time);
        Assert.That(ws.AllocatedBytes, Is.EqualTo(layer.WorkspaceBytes(B, time)));
    }

    [TestCase(0, T, "maxBatch")]
    [TestCase(B, 0, "maxTime")]
    public void CreateWorkspace_NonPositive_Throws(int maxBatch, int maxTime, string param)
    {
        using var layer = new LinearFastWeightLayer(Cpu, Options(UpdateRule.Delta));
        AssertNames<ArgumentOutOfRangeException>(() => layer.CreateWorkspace(maxBatch, maxTime).Dispose(), param);
    }

    // ---------------------------------------------------------------- views, per rule and direction

    public static IEnumerable<TestCaseData> ViewCases(Func<string, UpdateRule, bool> filter)
    {
        foreach (var rule in Enum.GetValues<UpdateRule>())
            foreach (var name in All.Where(n => filter(n, rule)))
                yield return new TestCaseData(rule, name).SetName($"{rule}_{name}");
    }

    public static IEnumerable<TestCaseData> UsedViews() => ViewCases(Used);
    public static IEnumerable<TestCaseData> RequiredViews() => ViewCases(Required);
    public static IEnumerable<TestCaseData> UnusedViews() => ViewCases((n, r) => !Used(n, r));

    /// <summary>Backward for views only the backward takes; forward otherwise (q, k, v, β, w0, z0 are checked by both).</summary>
    private static bool IsBackwardOnly(string name) => BackwardOutputs.Contains(name) || BackwardInputs.Contains(name);

    private static void Reject<TException>(UpdateRule rule, string name, Action<Rig> spoil, bool disposedCheck = false)
        where TException : Exception
    {
        using var layer = new LinearFastWeightLayer(Cpu, Options(rule));
        using var rig = new Rig(layer);
        bool backward = IsBackwardOnly(name);
        if (backward) rig.Forward();
        spoil(rig);
        rig.FillOutputs();
        if (disposedCheck)
            AssertDisposed(() => rig.Call(backward), name);
        else if (typeof(TException) == typeof(ArgumentException))
            AssertNames<ArgumentException>(() => rig.Call(backward), name);
        rig.AssertOutputsUntouched();
        // The shared inputs are checked by the backward too.
        if (!backward && ForwardInputs.Contains(name))
        {
            using var fresh = new Rig(layer);
            fresh.Forward();
            spoil(fresh);
            if (disposedCheck) AssertDisposed(() => fresh.Backward(), name);
            else AssertNames<ArgumentException>(() => fresh.Backward(), name);
        }
    }

    [TestCaseSource(nameof(RequiredViews))]
    public void MissingRequiredView_Throws(UpdateRule rule, string name) =>
        Reject<ArgumentException>(rule, name, r => r.V[name] = default);

    [TestCaseSource(nameof(UsedViews))]
    public void ViewOneTooShort_Throws(UpdateRule rule, string name) =>
        Reject<ArgumentException>(rule, name, r => r.V[name] = r.V[name].SubView(0, Length(name) - 1));

    [TestCaseSource(nameof(UsedViews))]
    public void ViewOneTooLong_Throws(UpdateRule rule, string name) =>
        Reject<ArgumentException>(rule, name, r => r.V[name] = r.Alloc(Cpu, Length(name) + 1));

    [TestCaseSource(nameof(UsedViews))]
    public void ViewOnAnotherAccelerator_Throws(UpdateRule rule, string name) =>
        Reject<ArgumentException>(rule, name, r => r.V[name] = r.Alloc(Foreign, Length(name)));

    [TestCaseSource(nameof(UsedViews))]
    public void DisposedBuffer_Throws(UpdateRule rule, string name) =>
        Reject<ObjectDisposedException>(rule, name, r =>
        {
            var buffer = Cpu.Allocate1D<float>(Length(name));
            r.V[name] = buffer.View;
            buffer.Dispose();
        }, disposedCheck: true);

    [TestCaseSource(nameof(UnusedViews))]
    public void ViewGivenWhereUnused_Throws(UpdateRule rule, string name) =>
        Reject<ArgumentException>(rule, name, r => r.V[name] = r.Alloc(Cpu, Length(name)));

    [TestCase(UpdateRule.Delta)]
    [TestCase(UpdateRule.Sum)]
    public void OptionalViewsOmitted_Runs(UpdateRule rule)
    {
        using var layer = new LinearFastWeightLayer(Cpu, Options(rule));
        using var rig = new Rig(layer);
        foreach (var name in new[] { "w0", "z0", "zT", "dw0", "dz0", "dwT", "dzT" }) rig.V[name] = default;
        Assert.DoesNotThrow(() => rig.Forward());
        Assert.DoesNotThrow(() => rig.Backward());
        Assert.That(rig.V["dq"].GetAsArray().All(float.IsFinite), Is.True);
    }

    // ---------------------------------------------------------------- NaN/Inf

    public static IEnumerable<TestCaseData> FiniteCases()
    {
        foreach (var rule in Enum.GetValues<UpdateRule>())
            foreach (var name in ForwardInputs.Concat(BackwardInputs).Where(n => Used(n, rule)))
                foreach (var bad in new[] { float.NaN, float.PositiveInfinity })
                    yield return new TestCaseData(rule, name, bad).SetName($"{rule}_{name}_{bad}");
    }

    [TestCaseSource(nameof(FiniteCases))]
    public void NonFiniteInput_WithCheckFinite_Throws(UpdateRule rule, string name, float bad)
    {
        using var layer = new LinearFastWeightLayer(Cpu, Options(rule, checkFinite: true));
        using var rig = new Rig(layer);
        bool backward = IsBackwardOnly(name);
        if (backward) rig.Forward();
        rig.FillOutputs();
        var data = rig.V[name].GetAsArray();
        data[data.Length / 2] = bad;
        rig.V[name].CopyFromCPU(data);
        AssertNames<ArgumentException>(() => rig.Call(backward), name);
        rig.AssertOutputsUntouched();
    }

    // ---------------------------------------------------------------- call context

    [TestCase(0, T, "batch")]
    [TestCase(B, 0, "time")]
    [TestCase(B + 1, T, "batch")]
    [TestCase(B, T + 1, "time")]
    public void BatchOrTimeOutOfRange_Throws(int batch, int time, string param)
    {
        using var layer = new LinearFastWeightLayer(Cpu, Options(UpdateRule.Delta));
        using var rig = new Rig(layer);
        rig.FillOutputs();
        AssertNames<ArgumentOutOfRangeException>(() => rig.Forward(batch: batch, time: time), param);
        rig.AssertOutputsUntouched();
    }

    [TestCase(false)]
    [TestCase(true)]
    public void DisposedLayerOrWorkspace_Throws(bool backward)
    {
        var layer = new LinearFastWeightLayer(Cpu, Options(UpdateRule.Delta));
        using var rig = new Rig(layer);
        rig.Forward();
        rig.Workspace.Dispose();
        AssertDisposed(() => rig.Call(backward), "workspace");
        layer.Dispose();
        AssertDisposed(() => rig.Call(backward), nameof(LinearFastWeightLayer));
        AssertDisposed(() => layer.CreateWorkspace(B, T).Dispose(), nameof(LinearFastWeightLayer));
        Assert.DoesNotThrow(layer.Dispose, "Dispose twice");
    }

    [TestCase(false)]
    [TestCase(true)]
    public void WrongStreamOrWorkspace_Throws(bool backward)
    {
        using var layer = new LinearFastWeightLayer(Cpu, Options(UpdateRule.Delta));
        using var rig = new Rig(layer);
        rig.Forward();
        AssertNames<ArgumentException>(() => rig.Call(backward, stream: Foreign.DefaultStream), "stream");
        var stream = Cpu.CreateStream();
        stream.Dispose();
        AssertDisposed(() => rig.Call(backward, stream: stream), "stream");
        using var foreignLayer = new LinearFastWeightLayer(Foreign, Options(UpdateRule.Delta));
        using var foreignWs = foreignLayer.CreateWorkspace(B, T);
        AssertNames<ArgumentException>(() => rig.Call(backward, ws: foreignWs), "workspace");
        using var otherLayer = new LinearFastWeightLayer(Cpu, Options(UpdateRule.Delta) with { FeatureMap = FeatureMap.Dpfp2 });
        using var otherWs = otherLayer.CreateWorkspace(B, T);
        AssertNames<ArgumentException>(() => rig.Call(backward, ws: otherWs), "workspace");
    }

    [Test]
    public void Backward_WithoutMatchingForward_Throws()
    {
        using var layer = new LinearFastWeightLayer(Cpu, Options(UpdateRule.Delta));
        using var rig = new Rig(layer);
        Assert.That(Assert.Throws<InvalidOperationException>(() => rig.Backward())!.Message, Does.Contain("never run"));
        using var twin = new LinearFastWeightLayer(Cpu, Options(UpdateRule.Delta));
        rig.Forward(l: twin);
        Assert.That(Assert.Throws<InvalidOperationException>(() => rig.Backward())!.Message, Does.Contain("another layer"));
    }

    [Test]
    public void Backward_Repeated_GivesIdenticalGradients()
    {
        // The backward only reads the forward's tape, so a second call (another dy, or the same) starts afresh.
        using var layer = new LinearFastWeightLayer(Cpu, Options(UpdateRule.Delta));
        using var rig = new Rig(layer);
        rig.Forward();
        rig.Backward();
        var first = rig.V["dk"].GetAsArray();
        rig.Backward();
        Assert.That(rig.V["dk"].GetAsArray(), Is.EqualTo(first));
    }
}
