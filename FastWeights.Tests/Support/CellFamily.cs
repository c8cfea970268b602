namespace FastWeights.Tests.Support;

/// <summary>
/// A gated recurrent cell with sizes (B, T, I, H) (LSTM, GRU) as the kernel tests see it: a float64 case, the float32
/// layer, a run that reads every result back by the reference's names, and the comparison with the reference.
/// </summary>
public interface ICellFamily<TCase, TLayer> where TLayer : IDisposable
{
    static abstract TCase Random(int batch, int time, int input, int hidden, int seed, bool withStateGradients = true);
    static abstract TLayer Create(Accelerator accelerator, TCase c, SweepSchedule schedule);
    static abstract Dictionary<string, float[]> Run(TLayer layer, TCase c, bool backward = true, bool zeroState = false);

    /// <summary>Asserts every output and gradient of <paramref name="r"/> against the float64 reference of <paramref name="c"/>.</summary>
    static abstract void AssertMatchesReference(Dictionary<string, float[]> r, TCase c, double forwardTolerance, double gradientTolerance);

    /// <summary>Every differentiable input of <paramref name="c"/> by name (the case's own arrays): what finite differences perturb.</summary>
    static abstract IEnumerable<(string Name, double[] Values)> Differentiable(TCase c);

    /// <summary>The float64 reference's gradients of <see cref="ReferenceLoss"/>, by the names of <see cref="Differentiable"/>.</summary>
    static abstract IReadOnlyDictionary<string, double[]> ReferenceBackward(TCase c);

    /// <summary>The scalar the reference's gradients are of.</summary>
    static abstract double ReferenceLoss(TCase c);

    /// <summary>Sets the initial state of <paramref name="c"/> to zeros.</summary>
    static abstract void ClearInitialState(TCase c);

    static abstract SweepSchedule Schedule(TLayer layer);
    static abstract int GroupSize(TLayer layer);

    /// <summary>The initial state's names (h0, and c0 for the LSTM), in the order of <see cref="InitialStateOf"/>.</summary>
    static abstract string[] InitialState { get; }

    /// <summary>The final state's names, in the order of <see cref="InitialState"/> (hT for h0, ...).</summary>
    static abstract string[] FinalState { get; }

    /// <summary>The weights by the runner's names (their gradients are keyed by the same names).</summary>
    static abstract string[] Weights { get; }

    /// <summary>The arrays of <paramref name="c"/>'s initial state, in the order of <see cref="InitialState"/>.</summary>
    static abstract double[][] InitialStateOf(TCase c);

    /// <summary>The upstream gradients of <paramref name="c"/>'s final state (null where it has none), in the order of <see cref="FinalState"/>.</summary>
    static abstract double[]?[] FinalStateGradientsOf(TCase c);

    /// <summary>
    /// A copy of <paramref name="c"/> with steps [from, from + count) of x and dy, the given initial state and
    /// final-state gradients (in the orders of <see cref="InitialState"/> and <see cref="FinalState"/>; null: none).
    /// </summary>
    static abstract TCase Window(TCase c, int from, int count, double[][] initialState, double[]?[]? finalStateGradients);

    /// <summary>
    /// Runs the forward of <paramref name="c"/> with each final state written over its initial state's views; returns
    /// those views read back, in the order of <see cref="FinalState"/>.
    /// </summary>
    static abstract float[][] ForwardWithAliasedState(TLayer layer, TCase c);

    /// <summary>The shapes (B, T, I, H) the family's <c>Gpu</c> tests run, <see cref="CommonCudaShapes"/> and any the family adds.</summary>
    static abstract IEnumerable<(int B, int T, int I, int H)> CudaShapes { get; }

    /// <summary>Shapes (B, T, I, H) every cell runs on the GPU.</summary>
    static readonly (int B, int T, int I, int H)[] CommonCudaShapes =
    [
        (2, 5, 3, 8),
        (3, 40, 3, 24),
        (4, 64, 16, 64),
        (2, 32, 8, 130),     // H not a multiple of the warp: idle threads in the last round
        (2, 300, 3, 8),      // long
    ];

    /// <summary>The device to test a schedule on: the group schedule wants GPU-shaped groups.</summary>
    static Accelerator AcceleratorFor(SweepSchedule schedule) =>
        schedule == SweepSchedule.Group ? Devices.CpuNvidia.Accelerator : Devices.Cpu.Accelerator;
}

/// <summary>
/// The float32 kernels of a cell family against its float64 reference, both schedules, on the CPU accelerator.
/// Tolerances (relative L2 over each tensor): forward ≤ 1e-5, every gradient ≤ 1e-4; each family's fixture says why they hold.
/// </summary>
public abstract class CellKernelVsReferenceTests<TFamily, TCase, TLayer>
    where TFamily : ICellFamily<TCase, TLayer> where TLayer : IDisposable
{
    public static IEnumerable<TestCaseData> Cases()
    {
        var shapes = new (int B, int T, int I, int H, bool StateGrads)[]
        {
            (2, 5, 3, 8, true),
            (1, 1, 3, 7, true),      // B = 1, T = 1
            (3, 9, 5, 13, false),    // H not a power of two, no state gradients
            (2, 30, 4, 16, true),    // longer
            (2, 7, 11, 6, true),     // I > H
            (2, 4, 3, 40, true),     // H above the CPU-NVIDIA warp (32): a group of 64 with 24 idle threads
        };
        foreach (var schedule in new[] { SweepSchedule.Thread, SweepSchedule.Group })
            foreach (var s in shapes)
                yield return new TestCaseData(schedule, s.B, s.T, s.I, s.H, s.StateGrads)
                    .SetName($"{schedule}_B{s.B}_T{s.T}_I{s.I}_H{s.H}{(s.StateGrads ? "_stateGrads" : "")}");
    }

    protected static TLayer Layer(TCase c, SweepSchedule schedule) => TFamily.Create(ICellFamily<TCase, TLayer>.AcceleratorFor(schedule), c, schedule);

    [TestCaseSource(nameof(Cases))]
    public void ForwardAndGradientsMatchReference(SweepSchedule schedule, int batch, int time, int input, int hidden, bool stateGrads)
    {
        var c = TFamily.Random(batch, time, input, hidden, seed: hidden * 31 + time, withStateGradients: stateGrads);
        using var layer = Layer(c, schedule);
        Assert.That(TFamily.Schedule(layer), Is.EqualTo(schedule));
        var r = TFamily.Run(layer, c);
        TFamily.AssertMatchesReference(r, c, forwardTolerance: 1e-5, gradientTolerance: 1e-4);
    }

    /// <summary>
    /// The group schedule on the default CPU device, whose groups hold at most 16 threads: with H = 37 each thread
    /// owns two or three units, the strided path the GPU takes only for H above its group limit.
    /// </summary>
    [Test]
    public void GroupScheduleWithSeveralUnitsPerThreadMatchesReference()
    {
        var c = TFamily.Random(2, 6, 3, 37, seed: 23);
        using var layer = TFamily.Create(Devices.Cpu.Accelerator, c, SweepSchedule.Group);
        Assert.That(TFamily.GroupSize(layer), Is.LessThan(37));
        TFamily.AssertMatchesReference(TFamily.Run(layer, c), c, 1e-5, 1e-4);
    }

    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Group)]
    public void EmptyInitialStateMeansZeros(SweepSchedule schedule)
    {
        var c = TFamily.Random(2, 4, 3, 5, seed: 5);
        TFamily.ClearInitialState(c);
        using var layer = Layer(c, schedule);
        var r = TFamily.Run(layer, c, zeroState: true);
        TFamily.AssertMatchesReference(r, c, 1e-5, 1e-4);
    }

    /// <summary>The schedules sum in different orders, so they agree to rounding, not bit for bit; each is deterministic.</summary>
    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Group)]
    public void RepeatedRunsAreBitIdentical(SweepSchedule schedule)
    {
        var c = TFamily.Random(3, 6, 4, 9, seed: 17);
        using var layer = Layer(c, schedule);
        var first = TFamily.Run(layer, c);
        var second = TFamily.Run(layer, c);
        foreach (var (name, values) in first)
            Assert.That(second[name], Is.EqualTo(values), name);
    }
}

/// <summary>
/// The hand-derived float64 backward of a cell family's reference against central differences of its loss, every
/// element of every differentiable input.
/// </summary>
/// <remarks>
/// Why 1e-6 relative L2 (LSTM and GRU alike): with step h = 1e-6 the truncation error h²/6·|F'''| is ~1e-12 (the cells
/// are compositions of sigmoid, tanh, layer norm and products with O(1)–O(10) third derivatives at these scales), and the
/// rounding error of L (a sum of O(100) O(1) terms, ~1e-15 absolute) divided by 2h is ~1e-9 per element; gradient
/// elements are O(0.1–1). A correct backward lands near 1e-9; a wrong term (a dropped LN mean, a transposed weight,
/// the GRU's r on the wrong branch) is O(1e-2..1).
/// </remarks>
public abstract class CellReferenceGradientTests<TFamily, TCase, TLayer>
    where TFamily : ICellFamily<TCase, TLayer> where TLayer : IDisposable
{
    private const double GradTolerance = 1e-6;
    private const double FdStep = 1e-6;

    [TestCase(1, 1, 3, 4, true, 1, TestName = "B1_T1_I3_H4_stateGrads")]
    [TestCase(2, 4, 3, 5, true, 2, TestName = "B2_T4_I3_H5_stateGrads")]
    [TestCase(2, 5, 6, 3, false, 3, TestName = "B2_T5_I6_H3_noStateGrads")]
    [TestCase(1, 6, 2, 7, true, 4, TestName = "B1_T6_I2_H7_stateGrads")]
    public void BackwardMatchesCentralDifferences(int batch, int time, int input, int hidden, bool stateGrads, int seed)
    {
        var c = TFamily.Random(batch, time, input, hidden, seed, stateGrads);
        var analytic = TFamily.ReferenceBackward(c);
        CentralDifferences.AssertBackward(TFamily.Differentiable(c), analytic, () => TFamily.ReferenceLoss(c), FdStep, GradTolerance);
    }

    /// <summary>A case without final-state gradients has exactly the gradients of one whose final-state gradients are zero.</summary>
    [Test]
    public void OmittedStateGradientsEqualZeroStateGradients()
    {
        var without = TFamily.Random(2, 3, 3, 4, seed: 9, withStateGradients: false);
        var zeroed = TFamily.Window(without, 0, 3, TFamily.InitialStateOf(without), [.. TFamily.FinalState.Select(_ => new double[8])]);
        var a = TFamily.ReferenceBackward(without);
        var b = TFamily.ReferenceBackward(zeroed);
        foreach (var (name, _) in TFamily.Differentiable(without))
            Assert.That(a[name], Is.EqualTo(b[name]), name);
    }
}

/// <summary>
/// Passing the final state of one call as the initial state of the next continues the sequence exactly, and the state
/// gradients carry back: backward of the second window gives the initial-state gradients, which as the final-state
/// gradients of the first window's backward yield the one-call gradients (weight gradients: the sum of the windows').
/// Tolerance 1e-6 relative L2: both runs do the same float32 operations per step; only the weight-gradient sums are
/// split into two partial sums (a different rounding order), which moves them by a few ulps (~1e-7).
/// </summary>
public abstract class CellStateCarryTests<TFamily, TCase, TLayer>
    where TFamily : ICellFamily<TCase, TLayer> where TLayer : IDisposable
{
    private const double CarryTolerance = 1e-6;

    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Group)]
    public void TwoWindowsEqualOneCall(SweepSchedule schedule)
    {
        const int B = 2, T = 8, I = 3, H = 6, T1 = 3;
        var c = TFamily.Random(B, T, I, H, seed: 42);
        using var layer = TFamily.Create(ICellFamily<TCase, TLayer>.AcceleratorFor(schedule), c, schedule);
        var whole = TFamily.Run(layer, c);

        // Forward of the first window only gives the state the second window starts from.
        var firstForward = TFamily.Run(layer, TFamily.Window(c, 0, T1, TFamily.InitialStateOf(c), null), backward: false);
        var middle = TFamily.FinalState.Select(n => TimeWindows.D(firstForward[n])).ToArray();
        var second = TFamily.Run(layer, TFamily.Window(c, T1, T - T1, middle, TFamily.FinalStateGradientsOf(c)));
        var carried = TFamily.InitialState.Select(n => TimeWindows.D(second[n])).ToArray();
        var first = TFamily.Run(layer, TFamily.Window(c, 0, T1, TFamily.InitialStateOf(c), carried));

        TimeWindows.AssertTwoCallsEqualOne(first, second, whole, (B, T, T1, I, H), TFamily.FinalState, TFamily.InitialState,
            TFamily.Weights, CarryTolerance);
    }

    /// <summary>The final state may be the same views as the initial state (each element is read before its owner writes it).</summary>
    [TestCase(SweepSchedule.Thread)]
    [TestCase(SweepSchedule.Group)]
    public void FinalStateMayAliasInitialState(SweepSchedule schedule)
    {
        var c = TFamily.Random(2, 5, 3, 7, seed: 8);
        using var layer = TFamily.Create(ICellFamily<TCase, TLayer>.AcceleratorFor(schedule), c, schedule);
        var expected = TFamily.Run(layer, c, backward: false);
        var aliased = TFamily.ForwardWithAliasedState(layer, c);
        Assert.Multiple(() =>
        {
            foreach (var (name, values) in TFamily.FinalState.Zip(aliased))
                Assert.That(values, Is.EqualTo(expected[name]), name);
        });
    }
}

/// <summary>
/// The checks of <see cref="CellKernelVsReferenceTests{TFamily, TCase, TLayer}"/> on a real CUDA device, both schedules.
/// Ignored (reported as skipped, never failed) where ILGPU sees no CUDA device. Tolerances are 10× looser than on the CPU
/// accelerator: on CUDA tanh, exp and sqrt compile to approximate PTX instructions (~1e-6 relative each, docs/design.md §8).
/// </summary>
public abstract class CellCudaTests<TFamily, TCase, TLayer> : CudaFixture
    where TFamily : ICellFamily<TCase, TLayer> where TLayer : IDisposable
{
    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var schedule in new[] { SweepSchedule.Group, SweepSchedule.Thread })
            foreach (var s in TFamily.CudaShapes)
                yield return new TestCaseData(schedule, s.B, s.T, s.I, s.H).SetName($"Cuda_{schedule}_B{s.B}_T{s.T}_I{s.I}_H{s.H}");
    }

    [TestCaseSource(nameof(Cases))]
    public void ForwardAndGradientsMatchReference(SweepSchedule schedule, int batch, int time, int input, int hidden)
    {
        var c = TFamily.Random(batch, time, input, hidden, seed: hidden + time);
        using var layer = TFamily.Create(Cuda, c, schedule);
        var r = TFamily.Run(layer, c);
        TFamily.AssertMatchesReference(r, c, forwardTolerance: 1e-4, gradientTolerance: time > 100 ? 3e-3 : 1e-3);
    }
}
