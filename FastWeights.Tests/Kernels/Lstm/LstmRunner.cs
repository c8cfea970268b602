using FastWeights.Kernels.Lstm;
using FastWeights.Tests.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Kernels.Lstm;

/// <summary>Runs an <see cref="LstmCase"/> through the float32 kernels and compares with the float64 reference.</summary>
public sealed class LstmRunner : ICellFamily<LstmCase, LstmLayer>
{
    private LstmRunner()
    {
    }

    public static LstmCase Random(int batch, int time, int input, int hidden, int seed, bool withStateGradients = true) =>
        LstmCase.Random(batch, time, input, hidden, seed, withStateGradients);

    public static LstmLayer Create(Accelerator accelerator, LstmCase c, SweepSchedule schedule) => new(accelerator, Options(c, schedule));

    public static void AssertMatchesReference(Dictionary<string, float[]> r, LstmCase c, double forwardTolerance, double gradientTolerance) =>
        AssertMatches(r, LstmReference.Forward(c), LstmReference.Backward(c), forwardTolerance, gradientTolerance);

    public static IEnumerable<(string Name, double[] Values)> Differentiable(LstmCase c) => c.Differentiable();

    public static IReadOnlyDictionary<string, double[]> ReferenceBackward(LstmCase c) => LstmReference.Backward(c).ByName;

    public static double ReferenceLoss(LstmCase c) => LstmReference.Loss(c);

    public static void ClearInitialState(LstmCase c)
    {
        Array.Clear(c.H0);
        Array.Clear(c.C0);
    }

    public static SweepSchedule Schedule(LstmLayer layer) => layer.Schedule;

    public static string[] InitialState { get; } = ["h0", "c0"];

    public static string[] FinalState { get; } = ["hT", "cT"];

    public static string[] Weights { get; } = ["WH", "WX", "B", "LnGain", "LnBias", "CellLnGain", "CellLnBias"];

    public static double[][] InitialStateOf(LstmCase c) => [c.H0, c.C0];

    public static double[]?[] FinalStateGradientsOf(LstmCase c) => [c.DhT, c.DcT];

    public static LstmCase Window(LstmCase c, int from, int count, double[][] initialState, double[]?[]? finalStateGradients) =>
        c.Window(from, count, initialState[0], initialState[1], finalStateGradients?[0], finalStateGradients?[1]);

    public static float[][] ForwardWithAliasedState(LstmLayer layer, LstmCase c)
    {
        var acc = layer.Accelerator;
        using var buffers = new DeviceBuffers(acc);
        var p = new LstmParameters(buffers.Up(c.WH), buffers.Up(c.WX), buffers.Up(c.B), buffers.Up(c.LnGain), buffers.Up(c.LnBias),
            buffers.Up(c.CellLnGain), buffers.Up(c.CellLnBias));
        var (h, cell) = (buffers.Up(c.H0), buffers.Up(c.C0));
        using var ws = layer.CreateWorkspace(c.Batch, c.Time);
        layer.Forward(acc.DefaultStream, ws, buffers.Zero(c.Batch * c.Time * c.Hidden), h, cell, buffers.Up(c.X), h, cell, p, c.Batch, c.Time);
        acc.DefaultStream.Synchronize();
        return [h.GetAsArray(), cell.GetAsArray()];
    }

    public static int GroupSize(LstmLayer layer) => layer.GroupSize;

    public static IEnumerable<(int B, int T, int I, int H)> CudaShapes => ICellFamily<LstmCase, LstmLayer>.CommonCudaShapes;

    public static LstmOptions Options(LstmCase c, SweepSchedule schedule) => new()
    {
        InputSize = c.Input, HiddenSize = c.Hidden, LayerNormEpsilon = c.Eps, Schedule = schedule,
    };

    /// <summary>Uploads the case, runs forward (and backward), downloads every output. h0, c0 given unless <paramref name="zeroState"/>.</summary>
    public static Dictionary<string, float[]> Run(LstmLayer layer, LstmCase c, bool backward = true, bool zeroState = false)
    {
        int B = c.Batch, T = c.Time, I = c.Input, H = c.Hidden, G4 = 4 * H;
        using var buffers = new DeviceBuffers(layer.Accelerator);
        var p = new LstmParameters(buffers.Up(c.WH), buffers.Up(c.WX), buffers.Up(c.B), buffers.Up(c.LnGain), buffers.Up(c.LnBias), buffers.Up(c.CellLnGain), buffers.Up(c.CellLnBias));
        var x = buffers.Up(c.X);
        var outputs = new Dictionary<string, ArrayView<float>>
        {
            ["y"] = buffers.Zero((long)B * T * H), ["hT"] = buffers.Zero(B * H), ["cT"] = buffers.Zero(B * H),
        };
        using var ws = layer.CreateWorkspace(B, T);
        var stream = layer.Accelerator.DefaultStream;
        layer.Forward(stream, ws, outputs["y"], outputs["hT"], outputs["cT"], x,
            zeroState ? default : buffers.Up(c.H0), zeroState ? default : buffers.Up(c.C0), p, B, T);
        if (backward)
        {
            outputs["x"] = buffers.Zero((long)B * T * I);
            outputs["h0"] = buffers.Zero(B * H);
            outputs["c0"] = buffers.Zero(B * H);
            outputs["WH"] = buffers.Zero(G4 * H);
            outputs["WX"] = buffers.Zero(G4 * I);
            outputs["B"] = buffers.Zero(G4);
            outputs["LnGain"] = buffers.Zero(G4);
            outputs["LnBias"] = buffers.Zero(G4);
            outputs["CellLnGain"] = buffers.Zero(H);
            outputs["CellLnBias"] = buffers.Zero(H);
            var g = new LstmParameterGradients(outputs["WH"], outputs["WX"], outputs["B"], outputs["LnGain"], outputs["LnBias"],
                outputs["CellLnGain"], outputs["CellLnBias"]);
            layer.Backward(stream, ws, outputs["x"], outputs["h0"], outputs["c0"], g, buffers.Up(c.Dy), buffers.Up(c.DhT), buffers.Up(c.DcT), x, p, B, T);
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
    public static void AssertMatches(Dictionary<string, float[]> r, LstmReferenceOutputs o, LstmReferenceGradients? g,
        double forwardTolerance, double gradientTolerance)
    {
        var tensors = new List<(string, float[], double[], double)>
        {
            ("y", r["y"], o.Y, forwardTolerance), ("hT", r["hT"], o.HT, forwardTolerance), ("cT", r["cT"], o.CT, forwardTolerance),
        };
        if (g is not null)
            tensors.AddRange(g.ByName.Select(kv => (kv.Key, r[kv.Key], kv.Value, gradientTolerance)));
        Tolerance.AssertAll(tensors);
    }
}
