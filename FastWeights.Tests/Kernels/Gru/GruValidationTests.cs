using FastWeights.Kernels.Gru;

namespace FastWeights.Tests.Kernels.Gru;

/// <summary>
/// The checks at the public boundary of <see cref="GruLayer"/> and <see cref="GruOptions"/>: the exception type,
/// the argument it names, that a rejected call leaves the caller's output buffers unchanged, and that the layer
/// still gives bit-identical results afterwards. Small sizes (B = 2, T = 3, I = 3, H = 4), thread schedule, CPU accelerator.
/// The tests are those of <see cref="ReplayableCellValidationTests{TSelf, TLayer, TWorkspace, TOptions}"/>; this says what the GRU's are.
/// </summary>
public sealed class GruValidationTests
    : ReplayableCellValidationTests<GruValidationTests, GruLayer, GruWorkspace, GruOptions>,
      IReplayableCellValidationSpec<GruLayer, GruWorkspace, GruOptions>
{
    public static string[] ForwardViews { get; } = ["y", "hT", "x", "h0", "WH", "WX", "InputLnGain", "InputLnBias", "RecurrentLnGain", "RecurrentLnBias"];
    public static string[] ForwardOptional { get; } = ["h0"];
    public static string[] BackwardViews { get; } =
        ["dx", "dh0", "DWH", "DWX", "DInputLnGain", "DInputLnBias", "DRecurrentLnGain", "DRecurrentLnBias", "dy", "dhT",
         "x", "WH", "WX", "InputLnGain", "InputLnBias", "RecurrentLnGain", "RecurrentLnBias"];
    public static string[] BackwardOptional { get; } = ["dx", "dh0", "dhT"];
    public static string[] ForwardOutputs { get; } = ["y", "hT"];
    public static string[] BackwardOutputs { get; } = ["dx", "dh0", "DWH", "DWX", "DInputLnGain", "DInputLnBias", "DRecurrentLnGain", "DRecurrentLnBias"];

    public static GruOptions Options(bool checkFinite = false) =>
        new() { InputSize = I, HiddenSize = H, Schedule = SweepSchedule.Thread, CheckFinite = checkFinite };

    public static GruLayer Create(Accelerator accelerator, GruOptions options) => new(accelerator, options);

    public static GruWorkspace CreateWorkspace(GruLayer layer, int maxBatch, int maxTime) => layer.CreateWorkspace(maxBatch, maxTime);

    public static long Length(string name) => name switch
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

    private static GruParameters Parameters(Dictionary<string, ArrayView<float>> v) =>
        new(v["WH"], v["WX"], v["InputLnGain"], v["InputLnBias"], v["RecurrentLnGain"], v["RecurrentLnBias"]);

    public static void Forward(GruLayer l, GruWorkspace ws, Dictionary<string, ArrayView<float>> v, int batch, int time)
    {
        l.Forward(l.Accelerator.DefaultStream, ws, v["y"], v["hT"], v["x"], v["h0"], Parameters(v), batch, time);
        l.Accelerator.Synchronize();
    }

    public static void Backward(GruLayer l, GruWorkspace ws, Dictionary<string, ArrayView<float>> v, int batch, int time)
    {
        var gradients = new GruParameterGradients(v["DWH"], v["DWX"], v["DInputLnGain"], v["DInputLnBias"], v["DRecurrentLnGain"], v["DRecurrentLnBias"]);
        l.Backward(l.Accelerator.DefaultStream, ws, v["dx"], v["dh0"], gradients, v["dy"], v["dhT"], v["x"], Parameters(v), batch, time);
        l.Accelerator.Synchronize();
    }

    public static IEnumerable<TestCaseData> BadOptionCases() => RecurrentCellBadOptions(inputSizeTooLarge: int.MaxValue / 6);

    public static long ExpectedWorkspaceBytes => 4L * (5 * 7 * (12 * H + 4) + 5 * 8 * H + 14 * 5 * H);

    public static long WorkspaceBytes(GruLayer layer, int batch, int time) => layer.WorkspaceBytes(batch, time);

    public static long StaticWorkspaceBytes(int batch, int time) => GruLayer.WorkspaceBytes(batch, time, I, H);

    public static long StaticWorkspaceBytes(int batch, int time, int input, int hidden) => GruLayer.WorkspaceBytes(batch, time, input, hidden);

    public static IEnumerable<TestCaseData> OutOfRangeSizeCases() => RecurrentCellOutOfRangeSizes;

    public static IEnumerable<TestCaseData> NonFiniteInputCases() =>
    [
        new(false, "x"), new(false, "h0"), new(false, "WH"), new(false, "WX"), new(false, "InputLnGain"), new(false, "RecurrentLnBias"),
        new(true, "dy"), new(true, "dhT"),
    ];

    public static (int Index, float Value) NonFinite => (1, float.NaN);

    public static string GradientProbe => "DWH";
}
