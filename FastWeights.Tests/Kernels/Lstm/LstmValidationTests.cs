using FastWeights.Kernels.Lstm;

namespace FastWeights.Tests.Kernels.Lstm;

/// <summary>
/// The checks at the public boundary of <see cref="LstmLayer"/> and <see cref="LstmOptions"/>: the exception type,
/// the argument it names, that a rejected call leaves the caller's output buffers unchanged, and that the layer
/// still gives bit-identical results afterwards. Small sizes (B = 2, T = 3, I = 3, H = 4), thread schedule, CPU accelerator.
/// The tests are those of <see cref="ReplayableCellValidationTests{TSelf, TLayer, TWorkspace, TOptions}"/>; this says what the LSTM's are.
/// </summary>
public sealed class LstmValidationTests
    : ReplayableCellValidationTests<LstmValidationTests, LstmLayer, LstmWorkspace, LstmOptions>,
      IReplayableCellValidationSpec<LstmLayer, LstmWorkspace, LstmOptions>
{
    public static string[] ForwardViews { get; } = ["y", "hT", "cT", "x", "h0", "c0", "WH", "WX", "B", "LnGain", "LnBias", "CellLnGain", "CellLnBias"];
    public static string[] ForwardOptional { get; } = ["h0", "c0"];
    public static string[] BackwardViews { get; } =
        ["dx", "dh0", "dc0", "DWH", "DWX", "DB", "DLnGain", "DLnBias", "DCellLnGain", "DCellLnBias", "dy", "dhT", "dcT",
         "x", "WH", "WX", "B", "LnGain", "LnBias", "CellLnGain", "CellLnBias"];
    public static string[] BackwardOptional { get; } = ["dx", "dh0", "dc0", "dhT", "dcT"];
    public static string[] ForwardOutputs { get; } = ["y", "hT", "cT"];
    public static string[] BackwardOutputs { get; } = ["dx", "dh0", "dc0", "DWH", "DWX", "DB", "DLnGain", "DLnBias", "DCellLnGain", "DCellLnBias"];

    public static LstmOptions Options(bool checkFinite = false) =>
        new() { InputSize = I, HiddenSize = H, Schedule = SweepSchedule.Thread, CheckFinite = checkFinite };

    public static LstmLayer Create(Accelerator accelerator, LstmOptions options) => new(accelerator, options);

    public static LstmWorkspace CreateWorkspace(LstmLayer layer, int maxBatch, int maxTime) => layer.CreateWorkspace(maxBatch, maxTime);

    public static long Length(string name) => name switch
    {
        "x" or "dx" => (long)B * T * I,
        "y" or "dy" => (long)B * T * H,
        "hT" or "h0" or "cT" or "c0" or "dh0" or "dhT" or "dc0" or "dcT" => (long)B * H,
        "WH" or "DWH" => 4L * H * H,
        "WX" or "DWX" => 4L * H * I,
        "B" or "LnGain" or "LnBias" or "DB" or "DLnGain" or "DLnBias" => 4 * H,
        "CellLnGain" or "CellLnBias" or "DCellLnGain" or "DCellLnBias" => H,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    private static LstmParameters Parameters(Dictionary<string, ArrayView<float>> v) =>
        new(v["WH"], v["WX"], v["B"], v["LnGain"], v["LnBias"], v["CellLnGain"], v["CellLnBias"]);

    public static void Forward(LstmLayer l, LstmWorkspace ws, Dictionary<string, ArrayView<float>> v, int batch, int time)
    {
        l.Forward(l.Accelerator.DefaultStream, ws, v["y"], v["hT"], v["cT"], v["x"], v["h0"], v["c0"], Parameters(v), batch, time);
        l.Accelerator.Synchronize();
    }

    public static void Backward(LstmLayer l, LstmWorkspace ws, Dictionary<string, ArrayView<float>> v, int batch, int time)
    {
        l.Backward(l.Accelerator.DefaultStream, ws, v["dx"], v["dh0"], v["dc0"],
            new LstmParameterGradients(v["DWH"], v["DWX"], v["DB"], v["DLnGain"], v["DLnBias"], v["DCellLnGain"], v["DCellLnBias"]),
            v["dy"], v["dhT"], v["dcT"], v["x"], Parameters(v), batch, time);
        l.Accelerator.Synchronize();
    }

    public static IEnumerable<TestCaseData> BadOptionCases() => RecurrentCellBadOptions(inputSizeTooLarge: int.MaxValue / 8);

    public static long ExpectedWorkspaceBytes => 4L * (5 * 7 * (9 * H + 5) + 2 * 5 * 8 * H + 12 * 5 * H);

    public static long WorkspaceBytes(LstmLayer layer, int batch, int time) => layer.WorkspaceBytes(batch, time);

    public static long StaticWorkspaceBytes(int batch, int time) => LstmLayer.WorkspaceBytes(batch, time, I, H);

    public static long StaticWorkspaceBytes(int batch, int time, int input, int hidden) => LstmLayer.WorkspaceBytes(batch, time, input, hidden);

    public static IEnumerable<TestCaseData> OutOfRangeSizeCases() => RecurrentCellOutOfRangeSizes;

    public static IEnumerable<TestCaseData> NonFiniteInputCases() =>
    [
        new(false, "x"), new(false, "h0"), new(false, "c0"), new(false, "WH"), new(false, "CellLnBias"), new(true, "dy"), new(true, "dcT"),
    ];

    public static (int Index, float Value) NonFinite => (1, float.NaN);

    public static string GradientProbe => "DWH";
}
