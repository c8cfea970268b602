using FastWeights.Kernels.HyperLstm;

namespace FastWeights.Tests.Kernels.HyperLstm;

/// <summary>
/// The checks at the public boundary of <see cref="HyperLstmLayer"/> and <see cref="HyperLstmOptions"/>: exception type,
/// the argument named, outputs unchanged by a rejected call, and the tape-consumption rule. B = 2, T = 3, I = 3, H = 4,
/// N_h = 3, N_z = 2, thread schedule, CPU accelerator. The tests are those of
/// <see cref="CellValidationTests{TSelf, TLayer, TWorkspace, TOptions}"/> and the tape-consumption rule; this says what the HyperLSTM's are.
/// </summary>
public sealed class HyperLstmValidationTests
    : CellValidationTests<HyperLstmValidationTests, HyperLstmLayer, HyperLstmWorkspace, HyperLstmOptions>,
      ICellValidationSpec<HyperLstmLayer, HyperLstmWorkspace, HyperLstmOptions>
{
    private const int I = 3, H = 4, N = 3, Z = 2;

    private static readonly string[] Weights =
    [
        "WH", "WX", "B", "LnGain", "LnBias", "CellLnGain", "CellLnBias", "HyperWH", "HyperWHMain", "HyperWX", "HyperB",
        "HyperLnGain", "HyperLnBias", "HyperCellLnGain", "HyperCellLnBias", "WZ", "BZ", "WD",
    ];
    public static string[] ForwardOutputs { get; } = ["y", "hT", "cT", "hyperHT", "hyperCT"];
    public static string[] ForwardOptional { get; } = ["h0", "c0", "hyperH0", "hyperC0"];
    public static string[] ForwardViews { get; } = [.. ForwardOutputs, "x", .. ForwardOptional, .. Weights];
    public static string[] BackwardOutputs { get; } = ["dx", "dh0", "dc0", "dHyperH0", "dHyperC0", .. Weights.Select(w => "D" + w)];
    public static string[] BackwardOptional { get; } = ["dx", "dh0", "dc0", "dHyperH0", "dHyperC0", "dhT", "dcT", "dHyperHT", "dHyperCT"];
    public static string[] BackwardViews { get; } = [.. BackwardOutputs, "dy", "dhT", "dcT", "dHyperHT", "dHyperCT", "x", .. Weights];

    public static HyperLstmOptions Options(bool checkFinite = false) => new()
    {
        InputSize = I, HiddenSize = H, HyperHiddenSize = N, EmbeddingSize = Z, Schedule = SweepSchedule.Thread, CheckFinite = checkFinite,
    };

    public static HyperLstmLayer Create(Accelerator accelerator, HyperLstmOptions options) => new(accelerator, options);

    public static HyperLstmWorkspace CreateWorkspace(HyperLstmLayer layer, int maxBatch, int maxTime) => layer.CreateWorkspace(maxBatch, maxTime);

    public static long Length(string name)
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

    private static HyperLstmParameters P(Dictionary<string, ArrayView<float>> v, string prefix = "")
    {
        var w = Weights.Select(n => v[prefix + n]).ToArray();
        return new(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15], w[16], w[17]);
    }

    private static HyperLstmParameterGradients G(Dictionary<string, ArrayView<float>> v)
    {
        var w = Weights.Select(n => v["D" + n]).ToArray();
        return new(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15], w[16], w[17]);
    }

    private static HyperLstmState S(Dictionary<string, ArrayView<float>> v, string h, string c, string hh, string hc) => new(v[h], v[c], v[hh], v[hc]);

    public static void Forward(HyperLstmLayer l, HyperLstmWorkspace ws, Dictionary<string, ArrayView<float>> v, int batch, int time)
    {
        l.Forward(l.Accelerator.DefaultStream, ws, v["y"], S(v, "hT", "cT", "hyperHT", "hyperCT"), v["x"],
            S(v, "h0", "c0", "hyperH0", "hyperC0"), P(v), batch, time);
        l.Accelerator.Synchronize();
    }

    public static void Backward(HyperLstmLayer l, HyperLstmWorkspace ws, Dictionary<string, ArrayView<float>> v, int batch, int time)
    {
        l.Backward(l.Accelerator.DefaultStream, ws, v["dx"], S(v, "dh0", "dc0", "dHyperH0", "dHyperC0"), G(v), v["dy"],
            S(v, "dhT", "dcT", "dHyperHT", "dHyperCT"), v["x"], P(v), batch, time);
        l.Accelerator.Synchronize();
    }

    public static IEnumerable<TestCaseData> BadOptionCases()
    {
        var ok = Options();
        yield return BadOption("InputSize0", ok with { InputSize = 0 }, "InputSize");
        yield return BadOption("HiddenSize0", ok with { HiddenSize = 0 }, "HiddenSize");
        yield return BadOption("HyperHiddenSize0", ok with { HyperHiddenSize = 0 }, "HyperHiddenSize");
        yield return BadOption("EmbeddingSize0", ok with { EmbeddingSize = -1 }, "EmbeddingSize");
        yield return BadOption("HiddenSizeTooLarge", ok with { HiddenSize = 30_000 }, "HiddenSize");
        yield return BadOption("EpsilonNaN", ok with { LayerNormEpsilon = double.NaN }, "LayerNormEpsilon");
        yield return BadOption("ScheduleUndefined", ok with { Schedule = (SweepSchedule)9 }, "Schedule");
    }

    public static long ExpectedWorkspaceBytes => 4L * (5 * 7 * (25 * H + 9 * N + 24 * Z + 10) + 2 * 5 * 8 * (H + N) + 5 * (16 * H + 12 * N));

    public static long WorkspaceBytes(HyperLstmLayer layer, int batch, int time) => layer.WorkspaceBytes(batch, time);

    public static long StaticWorkspaceBytes(int batch, int time) => HyperLstmLayer.WorkspaceBytes(batch, time, I, H, N, Z);

    public static IEnumerable<TestCaseData> OutOfRangeSizeCases() =>
        [new(false, B + 1, T, "batch"), new(false, B, 0, "time"), new(true, B, T + 1, "time")];

    public static IEnumerable<TestCaseData> NonFiniteInputCases() =>
        [new(false, "x"), new(false, "hyperC0"), new(false, "WD"), new(true, "dy"), new(true, "dHyperHT")];

    public static (int Index, float Value) NonFinite => (0, float.PositiveInfinity);

    public static string GradientProbe => "DWD";

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
}
