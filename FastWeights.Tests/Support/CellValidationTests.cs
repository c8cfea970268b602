using static FastWeights.Tests.Support.Rejections;

namespace FastWeights.Tests.Support;

/// <summary>
/// What the boundary tests of a gated recurrent cell (LSTM, GRU, HyperLSTM) need to know about it: its named views,
/// their lengths at (B, T) = (2, 3), how to build it and how to call it with the views of a rig.
/// </summary>
public interface ICellValidationSpec<TLayer, TWorkspace, TOptions>
    where TLayer : class, IDisposable where TWorkspace : DeviceWorkspace where TOptions : RecurrentCellOptions
{
    static abstract string[] ForwardViews { get; }
    static abstract string[] ForwardOptional { get; }
    static abstract string[] ForwardOutputs { get; }
    static abstract string[] BackwardViews { get; }
    static abstract string[] BackwardOptional { get; }
    static abstract string[] BackwardOutputs { get; }

    /// <summary>The length of the named view at (B, T).</summary>
    static abstract long Length(string name);

    /// <summary>The options of the layer under test (small sizes, thread schedule).</summary>
    static abstract TOptions Options(bool checkFinite = false);

    static abstract TLayer Create(Accelerator accelerator, TOptions options);
    static virtual void Validate(TOptions options) => options.Validate();
    static abstract TWorkspace CreateWorkspace(TLayer layer, int maxBatch, int maxTime);

    /// <summary>Options that each name a property the options check rejects.</summary>
    static abstract IEnumerable<TestCaseData> BadOptionCases();

    /// <summary>The workspace bytes at (B, T) = (5, 7) by the formula in the docs, and as the layer reports and allocates them.</summary>
    static abstract long ExpectedWorkspaceBytes { get; }
    static abstract long WorkspaceBytes(TLayer layer, int batch, int time);
    static abstract long StaticWorkspaceBytes(int batch, int time);
    static virtual long AllocatedBytes(TWorkspace workspace) => workspace.AllocatedBytes;

    /// <summary>(backward, batch, time, argument named) of sizes the calls reject.</summary>
    static abstract IEnumerable<TestCaseData> OutOfRangeSizeCases();

    /// <summary>(backward, view name) of inputs <c>CheckFinite</c> checks, and the non-finite value written at which index.</summary>
    static abstract IEnumerable<TestCaseData> NonFiniteInputCases();
    static abstract (int Index, float Value) NonFinite { get; }

    /// <summary>A gradient a backward with every optional view omitted must still write finite values to.</summary>
    static abstract string GradientProbe { get; }

    /// <summary>A forward (then a synchronise) with the views of <paramref name="v"/>.</summary>
    static abstract void Forward(TLayer layer, TWorkspace workspace, Dictionary<string, ArrayView<float>> v, int batch, int time);

    /// <summary>A backward (then a synchronise) with the views of <paramref name="v"/>.</summary>
    static abstract void Backward(TLayer layer, TWorkspace workspace, Dictionary<string, ArrayView<float>> v, int batch, int time);
}

/// <summary>
/// The checks at the public boundary of a gated recurrent cell: the exception type, the argument it names, that a
/// rejected call leaves the caller's output buffers unchanged. Small sizes (B = 2, T = 3), CPU accelerator; each
/// family's fixture (<typeparamref name="TSelf"/>) says what differs through <see cref="ICellValidationSpec{TLayer, TWorkspace, TOptions}"/>.
/// </summary>
public abstract class CellValidationTests<TSelf, TLayer, TWorkspace, TOptions>
    where TSelf : ICellValidationSpec<TLayer, TWorkspace, TOptions>
    where TLayer : class, IDisposable where TWorkspace : DeviceWorkspace where TOptions : RecurrentCellOptions
{
    protected const int B = 2, T = 3;

    protected TLayer layer = null!;
    protected static Accelerator Cpu => Devices.Cpu.Accelerator;
    protected static Accelerator Foreign => Devices.CpuNvidia.Accelerator;

    [OneTimeSetUp]
    public void CreateLayer() => layer = TSelf.Create(Cpu, TSelf.Options());

    [OneTimeTearDown]
    public void DisposeLayer() => layer.Dispose();

    /// <summary>Every view of one forward/backward call with deterministic data, and a workspace for (B, T).</summary>
    protected sealed class Rig : ViewRig<TWorkspace>
    {
        private readonly TLayer owner;

        public Rig(TLayer owner)
        {
            this.owner = owner;
            UploadPattern(Cpu, TSelf.ForwardViews.Concat(TSelf.BackwardViews).Distinct(), n => TSelf.Length(n), name => name.Contains("LnGain"));
            Workspace = TSelf.CreateWorkspace(owner, B, T);
        }

        public void Forward(TLayer? l = null, TWorkspace? ws = null, int batch = B, int time = T) =>
            TSelf.Forward(l ?? owner, ws ?? Workspace, V, batch, time);

        public void Backward(TLayer? l = null, TWorkspace? ws = null, int batch = B, int time = T) =>
            TSelf.Backward(l ?? owner, ws ?? Workspace, V, batch, time);
    }

    protected static string[] Outputs(bool backward) => backward ? TSelf.BackwardOutputs : TSelf.ForwardOutputs;

    protected static void Call(Rig rig, bool backward)
    {
        if (backward) rig.Backward();
        else rig.Forward();
    }

    /// <summary>Runs a valid forward first for a backward case (a backward needs one), then arms the sentinels.</summary>
    protected static Rig Prepared(TLayer l, bool backward)
    {
        var rig = new Rig(l);
        if (backward) rig.Forward();
        rig.FillSentinel(Outputs(backward));
        return rig;
    }

    // ---------------------------------------------------------------- options and workspace size

    public static IEnumerable<TestCaseData> BadOptions() => TSelf.BadOptionCases();

    /// <summary>A case of <see cref="ICellValidationSpec{TLayer, TWorkspace, TOptions}.BadOptionCases"/>: <paramref name="options"/> must be rejected naming <paramref name="property"/>.</summary>
    protected static TestCaseData BadOption(string label, TOptions options, string property) =>
        new TestCaseData(options, property).SetName($"Options_{label}_Rejected");

    /// <summary><paramref name="options"/> with the properties every recurrent cell has changed (a record's <c>with</c> keeps its type).</summary>
    protected static TOptions With(TOptions options, Func<RecurrentCellOptions, RecurrentCellOptions> change) => (TOptions)change(options);

    [TestCaseSource(nameof(BadOptions))]
    public void Options_OutOfRange_ThrowsNamingProperty(TOptions options, string property)
    {
        AssertNames<ArgumentOutOfRangeException>(() => TSelf.Validate(options), property);
        AssertNames<ArgumentOutOfRangeException>(() => TSelf.Create(Cpu, options).Dispose(), property);
    }

    [Test]
    public void WorkspaceBytes_MatchesAllocationAndFormula()
    {
        using var ws = TSelf.CreateWorkspace(layer, 5, 7);
        long expected = TSelf.ExpectedWorkspaceBytes;
        Assert.That(TSelf.AllocatedBytes(ws), Is.EqualTo(expected));
        Assert.That(TSelf.WorkspaceBytes(layer, 5, 7), Is.EqualTo(expected));
        Assert.That(TSelf.StaticWorkspaceBytes(5, 7), Is.EqualTo(expected));
    }

    // ---------------------------------------------------------------- views

    public static IEnumerable<TestCaseData> Views(bool backward) =>
        (backward ? TSelf.BackwardViews : TSelf.ForwardViews).Select(n => new TestCaseData(backward, n).SetName($"{(backward ? "Backward" : "Forward")}_{n}"));

    public static IEnumerable<TestCaseData> AllViews() => Views(false).Concat(Views(true));

    public static IEnumerable<TestCaseData> RequiredViews() =>
        AllViews().Where(c => !((bool)c.Arguments[0]! ? TSelf.BackwardOptional : TSelf.ForwardOptional).Contains((string)c.Arguments[1]!));

    [TestCaseSource(nameof(RequiredViews))]
    public void MissingRequiredView_Throws_OutputsUntouched(bool backward, string name)
    {
        using var rig = Prepared(layer, backward);
        var keep = rig.V[name];
        rig.V[name] = default;
        AssertNames<ArgumentException>(() => Call(rig, backward), name);
        rig.V[name] = keep;
        rig.AssertSentinel(Outputs(backward).Where(n => n != name));
    }

    [TestCaseSource(nameof(AllViews))]
    public void ViewOneTooShort_Throws_OutputsUntouched(bool backward, string name)
    {
        using var rig = Prepared(layer, backward);
        var keep = rig.V[name];
        rig.V[name] = keep.SubView(0, TSelf.Length(name) - 1);
        AssertNames<ArgumentException>(() => Call(rig, backward), name);
        rig.V[name] = keep;
        rig.AssertSentinel(Outputs(backward));
    }

    [TestCaseSource(nameof(AllViews))]
    public void ViewOnAnotherAccelerator_Throws(bool backward, string name)
    {
        using var rig = Prepared(layer, backward);
        rig.V[name] = rig.Alloc(Foreign, TSelf.Length(name));
        AssertNames<ArgumentException>(() => Call(rig, backward), name);
    }

    [Test]
    public void OptionalViewsOmitted_Run()
    {
        using var rig = new Rig(layer);
        foreach (var name in TSelf.ForwardOptional.Concat(TSelf.BackwardOptional)) rig.V[name] = default;
        rig.Forward();
        rig.Backward();
        Assert.That(rig.Read(TSelf.GradientProbe).All(float.IsFinite), Is.True);
    }

    // ---------------------------------------------------------------- sizes and non-finite inputs

    public static IEnumerable<TestCaseData> OutOfRangeSizes() => TSelf.OutOfRangeSizeCases();

    [TestCaseSource(nameof(OutOfRangeSizes))]
    public void BatchOrTimeOutOfRange_Throws(bool backward, int batch, int time, string param)
    {
        using var rig = Prepared(layer, backward);
        AssertNames<ArgumentOutOfRangeException>(() =>
        {
            if (backward) rig.Backward(batch: batch, time: time);
            else rig.Forward(batch: batch, time: time);
        }, param);
    }

    public static IEnumerable<TestCaseData> NonFiniteInputs() => TSelf.NonFiniteInputCases();

    [TestCaseSource(nameof(NonFiniteInputs))]
    public void CheckFinite_NaN_ThrowsNamingArgument_OutputsUntouched(bool backward, string name)
    {
        using var checkedLayer = TSelf.Create(Cpu, TSelf.Options(checkFinite: true));
        using var rig = Prepared(checkedLayer, backward);
        var data = rig.Read(name);
        data[TSelf.NonFinite.Index] = TSelf.NonFinite.Value;
        rig.V[name].CopyFromCPU(data);
        AssertNames<ArgumentException>(() => Call(rig, backward), name);
        rig.AssertSentinel(Outputs(backward));
    }
}

/// <summary>
/// What a cell whose backward only reads the tape (LSTM, GRU; not the HyperLSTM, whose backward consumes it) also
/// exposes to the boundary tests: the checks of the constructor, the workspace and the order of calls.
/// </summary>
public interface IReplayableCellValidationSpec<TLayer, TWorkspace, TOptions> : ICellValidationSpec<TLayer, TWorkspace, TOptions>
    where TLayer : class, IDisposable where TWorkspace : DeviceWorkspace where TOptions : RecurrentCellOptions
{
    /// <summary>The options with another hidden size (and, where given, the group schedule).</summary>
    static virtual TOptions WithHidden(TOptions options, int hidden, bool groupSchedule = false) =>
        (TOptions)(((RecurrentCellOptions)options) with { HiddenSize = hidden, Schedule = groupSchedule ? SweepSchedule.Group : options.Schedule });

    /// <summary><c>WorkspaceBytes(batch, time, input, hidden)</c> of the layer type, at the fixture's other sizes.</summary>
    static abstract long StaticWorkspaceBytes(int batch, int time, int input, int hidden);
}

/// <summary>
/// <see cref="CellValidationTests{TSelf, TLayer, TWorkspace, TOptions}"/> plus the checks of a cell whose backward may be
/// repeated (it only reads the tape): constructor arguments, workspace sizes, the order of calls, disposal, and that the
/// layer still gives bit-identical results after rejected calls.
/// </summary>
public abstract class ReplayableCellValidationTests<TSelf, TLayer, TWorkspace, TOptions> : CellValidationTests<TSelf, TLayer, TWorkspace, TOptions>
    where TSelf : IReplayableCellValidationSpec<TLayer, TWorkspace, TOptions>
    where TLayer : class, IDisposable where TWorkspace : DeviceWorkspace where TOptions : RecurrentCellOptions
{
    protected const int I = 3, H = 4;

    /// <summary>(backward, batch, time, argument named) of sizes every replayable cell (LSTM, GRU) rejects: zero, above the workspace's, negative.</summary>
    protected static IEnumerable<TestCaseData> RecurrentCellOutOfRangeSizes =>
    [
        new(false, 0, T, "batch"), new(false, B, 0, "time"), new(false, B + 1, T, "batch"), new(false, B, T + 1, "time"),
        new(true, B + 1, T, "batch"), new(true, B, -1, "time"),
    ];

    /// <summary>
    /// The options every replayable cell (LSTM, GRU) rejects, by the property named: sizes out of range (an input size
    /// <paramref name="inputSizeTooLarge"/> overflows the cell's input weights), ε zero or not finite, an undefined schedule.
    /// </summary>
    protected static IEnumerable<TestCaseData> RecurrentCellBadOptions(int inputSizeTooLarge)
    {
        var ok = TSelf.Options();
        yield return BadOption("InputSize0", With(ok, o => o with { InputSize = 0 }), "InputSize");
        yield return BadOption("HiddenSize0", With(ok, o => o with { HiddenSize = 0 }), "HiddenSize");
        yield return BadOption("HiddenSizeNegative", With(ok, o => o with { HiddenSize = -4 }), "HiddenSize");
        yield return BadOption("HiddenSizeTooLarge", With(ok, o => o with { HiddenSize = 30_000 }), "HiddenSize");
        yield return BadOption("InputSizeTooLarge", With(ok, o => o with { InputSize = inputSizeTooLarge }), "InputSize");
        yield return BadOption("Epsilon0", With(ok, o => o with { LayerNormEpsilon = 0.0 }), "LayerNormEpsilon");
        yield return BadOption("EpsilonNaN", With(ok, o => o with { LayerNormEpsilon = double.NaN }), "LayerNormEpsilon");
        yield return BadOption("EpsilonInf", With(ok, o => o with { LayerNormEpsilon = double.PositiveInfinity }), "LayerNormEpsilon");
        yield return BadOption("ScheduleUndefined", With(ok, o => o with { Schedule = (SweepSchedule)(-1) }), "Schedule");
    }

    [Test]
    public void Constructor_NullArguments_Throw()
    {
        AssertNames<ArgumentNullException>(() => TSelf.Create(null!, TSelf.Options()).Dispose(), "accelerator");
        AssertNames<ArgumentNullException>(() => TSelf.Create(Cpu, default!).Dispose(), "options");
    }

    [Test]
    public void GroupSchedule_HiddenTooLargeForSharedMemory_Throws() =>
        AssertNames<ArgumentOutOfRangeException>(
            () => TSelf.Create(Foreign, TSelf.WithHidden(TSelf.Options(), 8000, groupSchedule: true)).Dispose(), "options");

    [TestCase(0, T, I, H, "batch")]
    [TestCase(B, 0, I, H, "time")]
    [TestCase(B, T, 0, H, "input")]
    [TestCase(B, T, I, 0, "hidden")]
    public void StaticWorkspaceBytes_OutOfRange_Throws(int batch, int time, int input, int hidden, string param) =>
        AssertNames<ArgumentOutOfRangeException>(() => TSelf.StaticWorkspaceBytes(batch, time, input, hidden), param);

    [TestCase(0, T, "maxBatch")]
    [TestCase(B, 0, "maxTime")]
    public void CreateWorkspace_NonPositiveSize_Throws(int maxBatch, int maxTime, string param) =>
        AssertNames<ArgumentOutOfRangeException>(() => TSelf.CreateWorkspace(layer, maxBatch, maxTime).Dispose(), param);

    [TestCaseSource(nameof(AllViews))]
    public void DisposedBuffer_Throws(bool backward, string name)
    {
        using var rig = Prepared(layer, backward);
        rig.V[name] = Rig.Disposed(Cpu, TSelf.Length(name));
        var ex = Assert.Throws<ObjectDisposedException>(() => Call(rig, backward))!;
        Assert.That(ex.ObjectName, Is.EqualTo(name));
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
        using var other = TSelf.Create(Cpu, TSelf.Options());
        using var rig = new Rig(layer);
        rig.Forward(l: other, ws: rig.Workspace);
        Assert.Throws<InvalidOperationException>(() => rig.Backward());
    }

    [Test]
    public void WorkspaceOfLayerWithOtherHiddenSize_Throws()
    {
        using var other = TSelf.Create(Cpu, TSelf.WithHidden(TSelf.Options(), H + 1));
        using var ws = TSelf.CreateWorkspace(other, B, T);
        using var rig = new Rig(layer);
        AssertNames<ArgumentException>(() => rig.Forward(ws: ws), "workspace");
    }

    [Test]
    public void DisposedLayerOrWorkspace_Throws()
    {
        var l = TSelf.Create(Cpu, TSelf.Options());
        using var rig = new Rig(l);
        rig.Workspace.Dispose();
        Assert.Throws<ObjectDisposedException>(() => rig.Forward());
        l.Dispose();
        Assert.Throws<ObjectDisposedException>(() => TSelf.CreateWorkspace(l, B, T));
    }

    /// <summary>The backward only reads the tape (unlike the HyperLSTM's), so it may be repeated for another dy.</summary>
    [Test]
    public void Backward_Repeated_GivesIdenticalGradients()
    {
        using var rig = new Rig(layer);
        rig.Forward();
        rig.Backward();
        var first = TSelf.BackwardOutputs.ToDictionary(n => n, rig.Read);
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
        var before = TSelf.BackwardOutputs.Concat(TSelf.ForwardOutputs).ToDictionary(n => n, rig.Read);
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
