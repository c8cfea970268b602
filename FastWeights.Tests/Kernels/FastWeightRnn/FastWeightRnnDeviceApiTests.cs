using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Kernels.FastWeightRnn;

/// <summary>
/// The device-view API as a GPU app uses it: buffers on the accelerator, a caller's stream, one
/// workspace reused across calls. State carry, in-place state, determinism and the workspace size.
/// </summary>
public sealed class FastWeightRnnDeviceApiTests
{
    private sealed class DeviceCase : IDisposable
    {
        private readonly List<MemoryBuffer> owned = new();
        public readonly Accelerator Acc;
        public DeviceCase(Accelerator acc) => Acc = acc;
        public ArrayView<float> Up(double[] a) { var b = Acc.Allocate1D(LayerRunner.F(a)); owned.Add(b); return b.View; }
        public ArrayView<float> Zeros(long n) { var b = Acc.Allocate1D<float>(n); b.MemSetToZero(); owned.Add(b); return b.View; }
        public void Dispose() { foreach (var b in owned) b.Dispose(); }
    }

    private static double[] Slice(double[] a, int batch, int time, int width, int t0, int t1) =>
        TimeWindows.Slice(a, batch, time, width, t0, t1 - t0);

    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Host)]
    [TestCase(SweepSchedule.Group)]
    public void TwoHalvesEqualOneCall(SweepSchedule schedule)
    {
        const int B = 2, T = 24, half = 12;
        var cfg = new ReferenceConfig(B, T, 3, 10, 2, 0.9, 0.5, false);
        var c = ReferenceCase.Random(cfg, seed: 11);
        var acc = LayerRunner.AcceleratorFor(schedule);
        using var layer = new FastWeightRnnLayer(acc, LayerRunner.Options(cfg, schedule, checkpointInterval: 5));
        using var ws = layer.CreateWorkspace(B, T);
        using var d = new DeviceCase(acc);
        var stream = acc.DefaultStream;
        int H = cfg.Hidden, I = cfg.Input;
        var p = new FastWeightRnnParameters(d.Up(c.Params.W), d.Up(c.Params.C), d.Up(c.Params.B), d.Up(c.Params.LnGain), d.Up(c.Params.LnBias));

        // One call over T.
        var x = d.Up(c.Inputs.X);
        var y = d.Zeros(B * T * H); var hT = d.Zeros(B * H); var aT = d.Zeros(B * H * H);
        layer.Forward(stream, ws, y, hT, aT, x, d.Up(c.Inputs.H0), d.Up(c.Inputs.A0), p, B, T);
        var dx = d.Zeros(B * T * I); var dh0 = d.Zeros(B * H); var dA0 = d.Zeros(B * H * H);
        var g = new FastWeightRnnParameterGradients(d.Zeros(H * H), d.Zeros(H * I), d.Zeros(H), d.Zeros(H), d.Zeros(H));
        layer.Backward(stream, ws, dx, dh0, dA0, g, d.Up(c.Dy), d.Up(c.DhT!), d.Up(c.DAT!), x, p, B, T);
        stream.Synchronize();

        // Two calls of T/2, the state carried in place: h0 and hT (A0 and AT) are the same buffer.
        var h = d.Up(c.Inputs.H0); var a = d.Up(c.Inputs.A0);
        var x1 = d.Up(Slice(c.Inputs.X, B, T, I, 0, half)); var x2 = d.Up(Slice(c.Inputs.X, B, T, I, half, T));
        var y1 = d.Zeros(B * half * H); var y2 = d.Zeros(B * half * H);
        layer.Forward(stream, ws, y1, h, a, x1, h, a, p, B, half);
        var hMid = h.GetAsArray(stream); var aMid = a.GetAsArray(stream);
        layer.Forward(stream, ws, y2, h, a, x2, h, a, p, B, half);
        stream.Synchronize();

        Assert.Multiple(() =>
        {
            // The forward does the same float32 operations in the same order: bit-identical.
            var yFull = y.GetAsArray(stream);
            var ySplit = Slice(LayerRunner.D(yFull), B, T, H, 0, half).Concat(Slice(LayerRunner.D(yFull), B, T, H, half, T)).ToArray();
            Assert.That(LayerRunner.D(y1.GetAsArray(stream)).Concat(LayerRunner.D(y2.GetAsArray(stream))).ToArray(), Is.EqualTo(ySplit), "y");
            Assert.That(h.GetAsArray(stream), Is.EqualTo(hT.GetAsArray(stream)), "hT");
            Assert.That(a.GetAsArray(stream), Is.EqualTo(aT.GetAsArray(stream)), "AT");
        });

        // Backward of the second half (needs its forward in the workspace), its dh0/dA0 flow into the first.
        var dx2 = d.Zeros(B * half * I); var dhMid = d.Zeros(B * H); var dAMid = d.Zeros(B * H * H);
        var g2 = new FastWeightRnnParameterGradients(d.Zeros(H * H), d.Zeros(H * I), d.Zeros(H), d.Zeros(H), d.Zeros(H));
        layer.Backward(stream, ws, dx2, dhMid, dAMid, g2, d.Up(Slice(c.Dy, B, T, H, half, T)), d.Up(c.DhT!), d.Up(c.DAT!), x2, p, B, half);
        var hStart = d.Up(c.Inputs.H0); var aStart = d.Up(c.Inputs.A0);
        var hEnd = d.Zeros(B * H); var aEnd = d.Zeros(B * H * H);
        layer.Forward(stream, ws, y1, hEnd, aEnd, x1, hStart, aStart, p, B, half);
        var dx1 = d.Zeros(B * half * I); var dh0Split = d.Zeros(B * H); var dA0Split = d.Zeros(B * H * H);
        var g1 = new FastWeightRnnParameterGradients(d.Zeros(H * H), d.Zeros(H * I), d.Zeros(H), d.Zeros(H), d.Zeros(H));
        layer.Backward(stream, ws, dx1, dh0Split, dA0Split, g1, d.Up(Slice(c.Dy, B, T, H, 0, half)), dhMid, dAMid, x1, p, B, half);
        stream.Synchronize();
        Assert.That(hEnd.GetAsArray(stream), Is.EqualTo(hMid));
        Assert.That(aEnd.GetAsArray(stream), Is.EqualTo(aMid));

        // Gradients: same math, different rebuild anchors and summation splits: float32 close, not bitwise.
        double Err(float[] split, float[] full) => LayerRunner.RelErr(split, LayerRunner.D(full));
        float[] Sum(ArrayView<float> u, ArrayView<float> v) { var a1 = u.GetAsArray(stream); var b1 = v.GetAsArray(stream); return a1.Select((q, k) => q + b1[k]).ToArray(); }
        var dxFull = dx.GetAsArray(stream);
        var dxSplit = LayerRunner.D(dx1.GetAsArray(stream)).Concat(LayerRunner.D(dx2.GetAsArray(stream))).ToArray();
        var dxFullReordered = Slice(LayerRunner.D(dxFull), B, T, I, 0, half).Concat(Slice(LayerRunner.D(dxFull), B, T, I, half, T)).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(Tolerance.RelativeL2(dxSplit, dxFullReordered), Is.LessThanOrEqualTo(1e-5), "dx");
            Assert.That(Err(dh0Split.GetAsArray(stream), dh0.GetAsArray(stream)), Is.LessThanOrEqualTo(1e-5), "dh0");
            Assert.That(Err(dA0Split.GetAsArray(stream), dA0.GetAsArray(stream)), Is.LessThanOrEqualTo(1e-5), "dA0");
            Assert.That(Err(Sum(g1.DW, g2.DW), g.DW.GetAsArray(stream)), Is.LessThanOrEqualTo(1e-5), "dW");
            Assert.That(Err(Sum(g1.DC, g2.DC), g.DC.GetAsArray(stream)), Is.LessThanOrEqualTo(1e-5), "dC");
            Assert.That(Err(Sum(g1.DB, g2.DB), g.DB.GetAsArray(stream)), Is.LessThanOrEqualTo(1e-5), "db");
            Assert.That(Err(Sum(g1.DLnGain, g2.DLnGain), g.DLnGain.GetAsArray(stream)), Is.LessThanOrEqualTo(1e-5), "dg");
            Assert.That(Err(Sum(g1.DLnBias, g2.DLnBias), g.DLnBias.GetAsArray(stream)), Is.LessThanOrEqualTo(1e-5), "dβ");
        });
    }

    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Host)]
    [TestCase(SweepSchedule.Group)]
    public void GradientsAreBitIdenticalRunToRun(SweepSchedule schedule)
    {
        var cfg = new ReferenceConfig(4, 15, 3, 12, 2, 0.95, 0.5, false);
        var c = ReferenceCase.Random(cfg, seed: 5);
        var first = LayerRunner.Run(c, schedule);
        var second = LayerRunner.Run(c, schedule);
        Assert.Multiple(() =>
        {
            Assert.That(second.DW, Is.EqualTo(first.DW).AsCollection, "dW");
            Assert.That(second.DC, Is.EqualTo(first.DC).AsCollection, "dC");
            Assert.That(second.DB, Is.EqualTo(first.DB).AsCollection, "db");
            Assert.That(second.DLnGain, Is.EqualTo(first.DLnGain).AsCollection, "dg");
            Assert.That(second.DLnBias, Is.EqualTo(first.DLnBias).AsCollection, "dβ");
            Assert.That(second.DX, Is.EqualTo(first.DX).AsCollection, "dx");
        });
    }

    [Test]
    public void BackwardCanBeRepeatedForAnotherDy()
    {
        // The backward leaves the forward's tape intact (it rebuilds A in its own buffer).
        var cfg = new ReferenceConfig(2, 9, 3, 6, 1, 0.9, 0.5, true);
        var c = ReferenceCase.Random(cfg, seed: 3);
        var acc = Devices.Cpu.Accelerator;
        using var layer = new FastWeightRnnLayer(acc, LayerRunner.Options(cfg, SweepSchedule.Thread));
        using var ws = layer.CreateWorkspace(2, 9);
        using var d = new DeviceCase(acc);
        int H = 6, I = 3, B = 2, T = 9;
        var p = new FastWeightRnnParameters(d.Up(c.Params.W), d.Up(c.Params.C), d.Up(c.Params.B), d.Up(c.Params.LnGain), d.Up(c.Params.LnBias));
        var x = d.Up(c.Inputs.X);
        layer.Forward(acc.DefaultStream, ws, d.Zeros(B * T * H), d.Zeros(B * H), d.Zeros(B * H * H), x, d.Up(c.Inputs.H0), d.Up(c.Inputs.A0), p, B, T);
        float[] Grad(double[] dy)
        {
            var g = new FastWeightRnnParameterGradients(d.Zeros(H * H), d.Zeros(H * I), d.Zeros(H), d.Zeros(H), d.Zeros(H));
            layer.Backward(acc.DefaultStream, ws, default, default, default, g, d.Up(dy), default, default, x, p, B, T);
            return g.DW.GetAsArray(acc.DefaultStream);
        }
        var first = Grad(c.Dy);
        Grad(c.Dy.Select(v => -2 * v).ToArray());
        Assert.That(Grad(c.Dy), Is.EqualTo(first).AsCollection);
    }

    [Test]
    public void WorkspaceSizeIsWhatIsAllocatedAndGrowsWithTOnlyThroughTheStatedTerms()
    {
        const int B = 3, I = 5, H = 7, S = 2;
        const double decay = 0.9;
        int K = CheckpointPolicy.Interval(decay);
        using var layer = new FastWeightRnnLayer(Devices.Cpu.Accelerator,
            new FastWeightRnnOptions { InputSize = I, HiddenSize = H, InnerSteps = S, Decay = decay, Form = FastWeightForm.Matrix });

        // docs/design.md §4, written out independently of WorkspacePlan.
        static long Expected(int T, int K) =>
            4L * (B * T * H                      // projection / dz
                  + B * (T + 1) * H              // outer states
                  + 2L * B * T * S * H           // inner states and x̂
                  + B * T * S                    // 1/σ
                  + ((T + K - 1) / K + 1) * (long)B * H * H   // A(0), A(K), …, A(T)
                  + 2L * B * H * H               // A rebuilt, Ā
                  + 3L * B * H + 2L * B * H);    // vectors, LN partials

        foreach (int T in new[] { 1, K - 1, K, K + 1, 3 * K + 2 })
        {
            using var ws = layer.CreateWorkspace(B, T);
            Assert.That(ws.AllocatedBytes, Is.EqualTo(Expected(T, K)), $"allocated at T={T}");
            Assert.That(layer.WorkspaceBytes(B, T), Is.EqualTo(ws.AllocatedBytes), $"instance function at T={T}");
            Assert.That(FastWeightRnnLayer.WorkspaceBytes(B, T, I, H, S, decay), Is.EqualTo(ws.AllocatedBytes), $"static function at T={T}");
        }

        // One more step costs the O(H) per-step terms, plus one B·H² copy of A when T crosses a multiple of K.
        long perStep = 4L * B * (H + H + 2 * S * H + S);
        for (int T = 1; T < 4 * K; T++)
        {
            long delta = FastWeightRnnLayer.WorkspaceBytes(B, T + 1, I, H, S, decay) - FastWeightRnnLayer.WorkspaceBytes(B, T, I, H, S, decay);
            long checkpoint = T % K == 0 ? 4L * B * H * H : 0;
            Assert.That(delta, Is.EqualTo(perStep + checkpoint), $"T={T} → {T + 1}");
        }
        Assert.That(FastWeightRnnLayer.StoreAllBytes(B, 100, I, H, S, decay), Is.EqualTo(Expected(100, 1)));
    }

    [Test]
    public void MemoryAtTheAcceptanceShapeIsAtLeast20TimesBelowStoreAll()
    {
        long ours = FastWeightRnnLayer.WorkspaceBytes(32, 1024, 64, 256, 1, 0.95);
        long all = FastWeightRnnLayer.StoreAllBytes(32, 1024, 64, 256, 1, 0.95);
        TestContext.Out.WriteLine($"workspace {ours} B, store-all {all} B, ratio {(double)all / ours:F1}");
        Assert.That((double)all / ours, Is.GreaterThanOrEqualTo(20));
    }
}
