using FastWeights.Kernels.Gru;
using FastWeights.Tests.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Kernels.Gru;

/// <summary>Runs a <see cref="GruCase"/> through the float32 kernels and compares with the float64 reference.</summary>
public sealed class GruRunner : ICellFamily<GruCase, GruLayer>
{
    private GruRunner()
    {
    }

    public static GruCase Random(int batch, int time, int input, int hidden, int seed, bool withStateGradients = true) =>
        GruCase.Random(batch, time, input, hidden, seed, withStateGradients);

    public static GruLayer Create(Accelerator accelerator, GruCase c, SweepSchedule schedule) => new(accelerator, Options(c, schedule));

    public static void AssertMatchesReference(Dictionary<string, float[]> r, GruCase c, double forwardTolerance, double gradientTolerance) =>
        AssertMatches(r, GruReference.Forward(c), GruReference.Backward(c), forwardTolerance, gradientTolerance);

    public static IEnumerable<(string Name, double[] Values)> Differentiable(GruCase c) => c.Differentiable();

    public static IReadOnlyDictionary<string, double[]> ReferenceBackward(GruCase c) => GruReference.Backward(c).ByName;

    public static double ReferenceLoss(GruCase c) => GruReference.Loss(c);

    public static void ClearInitialState(GruCase c)
    {
        Array.Clear(c.H0);
    }

    public static SweepSchedule Schedule(GruLayer layer) => layer.Schedule;

    public static string[] InitialState { get; } = ["h0"];

    public static string[] FinalState { get; } = ["hT"];

    public static string[] Weights { get; } = ["WH", "WX", "InputLnGain", "InputLnBias", "RecurrentLnGain", "RecurrentLnBias"];

    public static double[][] InitialStateOf(GruCase c) => [c.H0];

    public static double[]?[] FinalStateGradientsOf(GruCase c) => [c.DhT];

    public static GruCase Window(GruCase c, int from, int count, double[][] initialState, double[]?[]? finalStateGradients) =>
        c.Window(from, count, initialState[0], finalStateGradients?[0]);

    public static float[][] ForwardWithAliasedState(GruLayer layer, GruCase c)
    {
        var acc = layer.Accelerator;
        using var buffers = new DeviceBuffers(acc);
        var p = new GruParameters(buffers.Up(c.WH), buffers.Up(c.WX), buffers.Up(c.InputLnGain), buffers.Up(c.InputLnBias),
            buffers.Up(c.RecurrentLnGain), buffers.Up(c.RecurrentLnBias));
        var h = buffers.Up(c.H0);
        using var ws = layer.CreateWorkspace(c.Batch, c.Time);
        layer.Forward(acc.DefaultStream, ws, buffers.Zero(c.Batch * c.Time * c.Hidden), h, buffers.Up(c.X), h, p, c.Batch, c.Time);
        acc.DefaultStream.Synchronize();
        return [h.GetAsArray()];
    }

    public static int GroupSize(GruLayer layer) => layer.GroupSize;

    public static IEnumerable<(int B, int T, int I, int H)> CudaShapes => 
        [
            .. ICellFamily<GruCase, GruLayer>.CommonCudaShapes,
            (1, 2, 3, 1024),     // above the reverse group sweep's register cap on sm_90 (896): units spread over the group
        ];

    public static GruOptions Options(GruCase c, SweepSchedule schedule) => new()
    {
        InputSize = c.Input, HiddenSize = c.Hidden, LayerNormEpsilon = c.Eps, Schedule = schedule,
    };

    /// <summary>Uploads the case, runs forward (and backward), downloads every output. h0 given unless <paramref name="zeroState"/>.</summary>
    public static Dictionary<string, float[]> Run(GruLayer layer, GruCase c, bool backward = true, bool zeroState = false)
    {
        int B = c.Batch, T = c.Time, I = c.Input, H = c.Hidden, G3 = 3 * H;
        using var buffers = new DeviceBuffers(layer.Accelerator);
        var p = new GruParameters(buffers.Up(c.WH), buffers.Up(c.WX), buffers.Up(c.InputLnGain), buffers.Up(c.InputLnBias), buffers.Up(c.RecurrentLnGain), buffers.Up(c.RecurrentLnBias));
        var x = buffers.Up(c.X);
        var outputs = new Dictionary<string, ArrayView<float>> { ["y"] = buffers.Zero((long)B * T * H), ["hT"] = buffers.Zero(B * H) };
        using var ws = layer.CreateWorkspace(B, T);
        var stream = layer.Accelerator.DefaultStream;
        layer.Forward(stream, ws, outputs["y"], outputs["hT"], x, zeroState ? default : buffers.Up(c.H0), p, B, T);
        if (backward)
        {
            outputs["x"] = buffers.Zero((long)B * T * I);
            outputs["h0"] = buffers.Zero(B * H);
            outputs["WH"] = buffers.Zero(G3 * H);
            outputs["WX"] = buffers.Zero(G3 * I);
            foreach (var name in new[] { "InputLnGain", "InputLnBias", "RecurrentLnGain", "RecurrentLnBias" })
                outputs[name] = buffers.Zero(G3);
            var g = new GruParameterGradients(outputs["WH"], outputs["WX"], outputs["InputLnGain"], outputs["InputLnBias"],
                outputs["RecurrentLnGain"], outputs["RecurrentLnBias"]);
            layer.Backward(stream, ws, outputs["x"], outputs["h0"], g, buffers.Up(c.Dy), buffers.Up(c.DhT), x, p, B, T);
        }
        stream.Synchronize();
        return outputs.ToDictionary(kv => kv.Key, kv => kv.Value.GetAsArray(stream));
    }

    /// <summary>The device to test a schedule on: the group schedule wants GPU-shaped groups.</summary>
    public static Accelerator AcceleratorFor(SweepSchedule schedule) => LayerRunner.AcceleratorFor(schedule);

    /// <summary>
    /// Asserts (all at once) that every output is within <paramref name="forwardTolerance"/> and every gradient within
    /// <paramref name="gradientTolerance"/> relative L2 of the reference; prints each error.
    /// </summary>
    public static void AssertMatches(Dictionary<string, float[]> r, GruReferenceOutputs o, GruReferenceGradients? g,
        double forwardTolerance, double gradientTolerance)
    {
        var tensors = new List<(string, float[], double[], double)> { ("y", r["y"], o.Y, forwardTolerance), ("hT", r["hT"], o.HT, forwardTolerance) };
        if (g is not null)
            tensors.AddRange(g.ByName.Select(kv => (kv.Key, r[kv.Key], kv.Value, gradientTolerance)));
        Tolerance.AssertAll(tensors);
    }
}
