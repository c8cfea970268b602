using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Kernels.FastWeightRnn;

/// <summary>
/// The layer under a memory budget (docs/design.md §9): the forward keeps fewer copies of A, the backward
/// replays the missing K-step anchors from the tape of outer states, and every gradient comes out
/// bit for bit equal to the layer without a budget. Exact equality, not a tolerance, is what is expected:
/// the replay applies the forward's own float32 operations (η·h_i, then λ·A + that·h_j) in the forward's
/// order, so each anchor is bit-identical to the copy the forward passed through, and every reverse window
/// then runs the same operations from the same values as the single-launch sweep (its carried dh, A, Ā
/// are copied bit for bit between launches). On the CPU accelerator that is exact; a GPU compiler
/// contracting mul+add into fma differently in the two kernels could break it (unvalidated without a GPU).
/// </summary>
public sealed class CheckpointBudgetTests
{
    private static FastWeightRnnHostResult Run(ReferenceCase c, SweepSchedule schedule, int? maxCopies = null, long? budgetBytes = null)
    {
        var options = LayerRunner.Options(c.Config, schedule) with { MaxCheckpointCopies = maxCopies, MemoryBudgetBytes = budgetBytes };
        using var layer = new FastWeightRnnLayer(LayerRunner.AcceleratorFor(schedule), options);
        return FastWeightRnnHost.Run(layer, LayerRunner.HostInputs(c));
    }

    private static IEnumerable<(string Name, float[]? Values)> Arrays(FastWeightRnnHostResult r) => new[]
    {
        ("y", r.Y), ("hT", r.HT), ("AT", r.AT), ("dx", r.DX), ("dh0", r.DH0), ("dA0", r.DA0),
        ("dW", r.DW), ("dC", r.DC), ("db", r.DB), ("dLnGain", r.DLnGain), ("dLnBias", (float[]?)r.DLnBias),
    };

    private static void AssertBitIdentical(FastWeightRnnHostResult expected, FastWeightRnnHostResult actual, string label)
    {
        Assert.Multiple(() =>
        {
            foreach (var ((name, e), (_, a)) in Arrays(expected).Zip(Arrays(actual)))
                Assert.That(a, Is.EqualTo(e).AsCollection, $"{label}: {name} differs from the layer without a budget");
        });
    }

    /// <summary>
    /// T = 10⁴, λ = 0.5 (K = 7, n = 1429 anchors), B = 2, H = 4, S = 2: from the fewest copies (3, one scratch slot:
    /// n²/2 interval replays) through log-many to every copy. Small B and H keep the quadratic case near a second.
    /// </summary>
    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Host)]
    public void GradientsAreBitIdenticalAcrossBudgetsAtT10000(SweepSchedule schedule)
    {
        var c = ReferenceCase.Random(new ReferenceConfig(Batch: 2, Time: 10_000, Input: 3, Hidden: 4, InnerSteps: 2,
            Decay: 0.5, FastLr: 0.5, Relu: false), seed: 11);
        int K = CheckpointPolicy.Interval(0.5), n = CheckpointPlan.AnchorCount(10_000, K);
        Assert.That(K, Is.EqualTo(7));
        var unbudgeted = Run(c, schedule);
        Assert.That(unbudgeted.RecomputedSteps, Is.Zero);
        foreach (int copies in new[] { 3, 4, 13, 40, n, n + 1 })
        {
            var r = Run(c, schedule, maxCopies: copies);
            AssertBitIdentical(unbudgeted, r, $"{copies} copies");
            var plan = CheckpointPlan.For(10_000, K, copies);
            Assert.That(r.RecomputedSteps, Is.EqualTo(plan.RecomputedSteps), $"{copies} copies: steps the backward replayed");
            TestContext.Out.WriteLine($"{copies} copies: {r.RecomputedSteps} steps replayed, {r.WorkspaceBytes} bytes");
        }
    }

    /// <summary>
    /// The group schedule (A and Ā in shared memory, carried through global memory between windows) and off chip (H = 130).
    /// Shorter T than the thread case: the ILGPU CPU accelerator simulates 32-thread groups with real barriers, ~50× slower per step.
    /// </summary>
    [TestCase(4, 100, 3)]
    [TestCase(4, 100, 5)]
    [TestCase(130, 30, 3)]
    public void GroupScheduleGradientsAreBitIdenticalUnderABudget(int hidden, int time, int copies)
    {
        var c = ReferenceCase.Random(new ReferenceConfig(Batch: 2, Time: time, Input: 3, Hidden: hidden, InnerSteps: 2,
            Decay: 0.5, FastLr: 0.5, Relu: false), seed: 12);
        var unbudgeted = Run(c, SweepSchedule.Group);
        var r = Run(c, SweepSchedule.Group, maxCopies: copies);
        AssertBitIdentical(unbudgeted, r, $"group, H={hidden}, {copies} copies");
        Assert.That(r.RecomputedSteps, Is.EqualTo(CheckpointPlan.For(time, 7, copies).RecomputedSteps).And.GreaterThan(0));
    }

    /// <summary>
    /// Zero initial state and no state gradients (the Has* = 0 paths), without layer norm. Finite values are
    /// asserted because NaN compares equal to NaN here: a diverging case would pass vacuously.
    /// </summary>
    [Test]
    public void OptionalStatePathsAreBitIdenticalUnderABudget()
    {
        var cfg = new ReferenceConfig(Batch: 3, Time: 200, Input: 2, Hidden: 5, InnerSteps: 1, Decay: 0.9, FastLr: 0.3, Relu: false) { LayerNorm = false };
        var c = ReferenceCase.Random(cfg, seed: 13, withStateGradients: false, zeroInitialState: true);
        var unbudgeted = Run(c, SweepSchedule.Thread);
        foreach (var (name, values) in Arrays(unbudgeted).Where(p => !p.Name.StartsWith("dLn")))   // dg, dβ are 0 without LN
            Assert.That(values, Has.All.Matches<float>(float.IsFinite).And.Some.Not.Zero, name);
        AssertBitIdentical(unbudgeted, Run(c, SweepSchedule.Thread, maxCopies: 4), "zero state, no LN");
    }

    /// <summary>
    /// The backward writes only scratch copies, never the forward's persistent ones, so a second backward
    /// on the same forward (the workspace contract) gives the same gradients.
    /// </summary>
    [Test]
    public void ABackwardCanBeRepeatedUnderABudget()
    {
        var c = ReferenceCase.Random(new ReferenceConfig(Batch: 2, Time: 300, Input: 3, Hidden: 4, InnerSteps: 1,
            Decay: 0.5, FastLr: 0.5, Relu: false), seed: 14);
        var acc = Devices.Cpu.Accelerator;
        var options = LayerRunner.Options(c.Config, SweepSchedule.Thread) with { MaxCheckpointCopies = 5 };
        using var layer = new FastWeightRnnLayer(acc, options);
        var inputs = LayerRunner.HostInputs(c);
        int B = 2, T = 300, H = 4, I = 3;
        using var ws = layer.CreateWorkspace(B, T);
        using var x = acc.Allocate1D(inputs.X);
        using var w = acc.Allocate1D(inputs.W);
        using var cc = acc.Allocate1D(inputs.C);
        using var b = acc.Allocate1D(inputs.B);
        using var g = acc.Allocate1D(inputs.LnGain);
        using var beta = acc.Allocate1D(inputs.LnBias);
        using var h0 = acc.Allocate1D(inputs.H0!);
        using var a0 = acc.Allocate1D(inputs.A0!);
        using var dy = acc.Allocate1D(inputs.Dy!);
        using var y = acc.Allocate1D<float>(B * T * H);
        using var hT = acc.Allocate1D<float>(B * H);
        using var aT = acc.Allocate1D<float>(B * H * H);
        using var dx = acc.Allocate1D<float>(B * T * I);
        using var dA0 = acc.Allocate1D<float>(B * H * H);
        using var dW = acc.Allocate1D<float>(H * H);
        using var dC = acc.Allocate1D<float>(H * I);
        using var db = acc.Allocate1D<float>(H);
        using var dg = acc.Allocate1D<float>(H);
        using var dbeta = acc.Allocate1D<float>(H);
        var p = new FastWeightRnnParameters(w.View, cc.View, b.View, g.View, beta.View);
        var grads = new FastWeightRnnParameterGradients(dW.View, dC.View, db.View, dg.View, dbeta.View);
        var stream = acc.DefaultStream;
        layer.Forward(stream, ws, y.View, hT.View, aT.View, x.View, h0.View, a0.View, p, B, T);
        Assert.That(ws.CheckpointPlan!.IsSingleSweep, Is.False, "5 copies for 43 anchors: a recomputing schedule");

        float[][] Backward()
        {
            layer.Backward(stream, ws, dx.View, default, dA0.View, grads, dy.View, default, default, x.View, p, B, T);
            stream.Synchronize();
            return new[] { dx.GetAsArray1D(), dA0.GetAsArray1D(), dW.GetAsArray1D(), dC.GetAsArray1D(), dg.GetAsArray1D() };
        }
        var first = Backward();
        Assert.That(ws.RecomputedSteps, Is.EqualTo(ws.CheckpointPlan.RecomputedSteps).And.GreaterThan(0));
        var second = Backward();
        for (int k = 0; k < first.Length; k++)
            Assert.That(second[k], Is.EqualTo(first[k]).AsCollection, $"gradient {k} changed on the second backward");
    }

    /// <summary>
    /// The workspace under a byte budget is what the plan says, at most the budget, and as large as fits:
    /// fixed part + c·4·B·H² with c = min(⌈T/K⌉ + 1, ⌊(budget − fixed)/(4·B·H²)⌋), written out here independently.
    /// </summary>
    [Test]
    public void WorkspaceUnderAByteBudgetIsWithinItAndIsWhatIsAllocated()
    {
        const int B = 3, I = 5, H = 7, S = 2, T = 500;
        const double decay = 0.9;
        int K = CheckpointPolicy.Interval(decay), n = (T + K - 1) / K;
        long fixedBytes = 4L * (B * T * H + B * (T + 1) * H + 2L * B * T * S * H + B * T * S + 2L * B * H * H + 5L * B * H);
        long slotBytes = 4L * B * H * H;
        foreach (long budget in new[] { fixedBytes + 3 * slotBytes, fixedBytes + 3 * slotBytes + slotBytes - 1, fixedBytes + 7 * slotBytes + 5,
                     fixedBytes + (n + 1) * slotBytes, 10 * fixedBytes })
        {
            var options = new FastWeightRnnOptions { InputSize = I, HiddenSize = H, InnerSteps = S, Decay = decay, MemoryBudgetBytes = budget };
            using var layer = new FastWeightRnnLayer(Devices.Cpu.Accelerator, options);
            using var ws = layer.CreateWorkspace(B, T);
            long copies = Math.Min(n + 1, (budget - fixedBytes) / slotBytes);
            Assert.That(ws.AllocatedBytes, Is.EqualTo(fixedBytes + copies * slotBytes), $"budget {budget}");
            Assert.That(ws.AllocatedBytes, Is.LessThanOrEqualTo(budget));
            Assert.That(layer.WorkspaceBytes(B, T), Is.EqualTo(ws.AllocatedBytes));
            Assert.That(FastWeightRnnLayer.WorkspaceBytes(options, B, T), Is.EqualTo(ws.AllocatedBytes));
            Assert.That(ws.Plan.CheckpointCount, Is.EqualTo(copies));
        }
        // Without a budget the options overload agrees with the size-only one.
        var plain = new FastWeightRnnOptions { InputSize = I, HiddenSize = H, InnerSteps = S, Decay = decay };
        Assert.That(FastWeightRnnLayer.WorkspaceBytes(plain, B, T), Is.EqualTo(FastWeightRnnLayer.WorkspaceBytes(B, T, I, H, S, decay)));
        Assert.That(FastWeightRnnLayer.WorkspaceBytes(plain, B, T), Is.EqualTo(fixedBytes + (n + 1) * slotBytes));
    }

    /// <summary>At a fixed budget the copies of A stop growing with T; only the O(T) vector tape does.</summary>
    [Test]
    public void AtAFixedCopyCapMemoryGrowsOnlyByTheVectorTape()
    {
        const int B = 2, I = 3, H = 16, S = 1;
        var options = new FastWeightRnnOptions { InputSize = I, HiddenSize = H, InnerSteps = S, Decay = 0.95, MaxCheckpointCopies = 8 };
        long perStep = 4L * B * (H + H + 2 * S * H + S);
        for (int T = 2000; T < 2100; T++)
            Assert.That(FastWeightRnnLayer.WorkspaceBytes(options, B, T + 1) - FastWeightRnnLayer.WorkspaceBytes(options, B, T), Is.EqualTo(perStep), $"T={T}");
    }

    [Test]
    public void ABudgetBelowTheSmallestScheduleIsRefusedNamingTheMinimum()
    {
        const int B = 2, I = 3, H = 8, S = 1, T = 100;
        var baseOptions = new FastWeightRnnOptions { InputSize = I, HiddenSize = H, InnerSteps = S, Decay = 0.9 };
        long fixedBytes = FastWeightRnnLayer.WorkspaceBytes(baseOptions with { MaxCheckpointCopies = 3 }, B, T) - 3 * 4L * B * H * H;
        long minimum = fixedBytes + 3 * 4L * B * H * H;

        using var tight = new FastWeightRnnLayer(Devices.Cpu.Accelerator, baseOptions with { MemoryBudgetBytes = minimum - 1 });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => tight.CreateWorkspace(B, T))!;
        Assert.That(e.ParamName, Is.EqualTo("MemoryBudgetBytes"));
        Assert.That(e.Message, Does.Contain($"minimum of {minimum} bytes"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => tight.WorkspaceBytes(B, T))!.ParamName, Is.EqualTo("MemoryBudgetBytes"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => FastWeightRnnLayer.WorkspaceBytes(tight.Options, B, T))!.ParamName,
            Is.EqualTo("MemoryBudgetBytes"));
        // Far below the fixed part too (no negative slot count slips through).
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => FastWeightRnnLayer.WorkspaceBytes(baseOptions with { MemoryBudgetBytes = 1 }, B, T))!
            .Message, Does.Contain($"minimum of {minimum} bytes"));

        using var exact = new FastWeightRnnLayer(Devices.Cpu.Accelerator, baseOptions with { MemoryBudgetBytes = minimum });
        using (var ws = exact.CreateWorkspace(B, T))
            Assert.That(ws.AllocatedBytes, Is.EqualTo(minimum));

        using var twoCopies = new FastWeightRnnLayer(Devices.Cpu.Accelerator, baseOptions with { MaxCheckpointCopies = 2 });
        var c = Assert.Throws<ArgumentOutOfRangeException>(() => twoCopies.CreateWorkspace(B, T))!;
        Assert.That(c.ParamName, Is.EqualTo("MaxCheckpointCopies"));
        Assert.That(c.Message, Does.Contain("minimum of 3 copies"));
        // One interval (T ≤ K) needs only A(0) and A(T).
        using (var ws = twoCopies.CreateWorkspace(B, CheckpointPolicy.Interval(0.9)))
            Assert.That(ws.Plan.CheckpointCount, Is.EqualTo(2));
    }

    [Test]
    public void OptionsOutOfRangeAreRefusedByTheConstructor()
    {
        var o = new FastWeightRnnOptions { InputSize = 2, HiddenSize = 2 };
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new FastWeightRnnLayer(Devices.Cpu.Accelerator, o with { MemoryBudgetBytes = 0 }))!.ParamName,
            Is.EqualTo("MemoryBudgetBytes"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new FastWeightRnnLayer(Devices.Cpu.Accelerator, o with { MaxCheckpointCopies = 1 }))!.ParamName,
            Is.EqualTo("MaxCheckpointCopies"));
    }
}
