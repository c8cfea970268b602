using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Primitives;

namespace FastWeights.Tests.Kernels.FastWeightRnn;

/// <summary>Runs a <see cref="ReferenceCase"/> through the float32 kernels and compares with the float64 reference.</summary>
public static class LayerRunner
{
    /// <summary>
    /// Options for a reference case. The form defaults to <see cref="FastWeightForm.Matrix"/>, not Auto: on the CPU accelerator
    /// Auto would run most small test cases in the attention form and leave the matrix kernels untested.
    /// </summary>
    public static FastWeightRnnOptions Options(ReferenceConfig cfg, SweepSchedule schedule, int? checkpointInterval = null,
        FastWeightForm form = FastWeightForm.Matrix) => new()
    {
        InputSize = cfg.Input,
        HiddenSize = cfg.Hidden,
        InnerSteps = cfg.InnerSteps,
        Decay = cfg.Decay,
        FastLearningRate = cfg.FastLr,
        Activation = cfg.Relu ? Activation.Relu : Activation.Tanh,
        LayerNormEpsilon = cfg.LnEps,
        LayerNorm = cfg.LayerNorm,
        Schedule = schedule,
        CheckpointInterval = checkpointInterval,
        Form = form,
    };

    public static float[] F(double[] a) => Array.ConvertAll(a, v => (float)v);
    public static float[]? FOpt(double[]? a) => a is null ? null : F(a);
    public static double[] D(float[] a) => Array.ConvertAll(a, v => (double)v);

    public static FastWeightRnnHostInputs HostInputs(ReferenceCase c, bool backward = true) => new()
    {
        Batch = c.Config.Batch,
        Time = c.Config.Time,
        X = F(c.Inputs.X), H0 = F(c.Inputs.H0), A0 = F(c.Inputs.A0),
        W = F(c.Params.W), C = F(c.Params.C), B = F(c.Params.B), LnGain = F(c.Params.LnGain), LnBias = F(c.Params.LnBias),
        Dy = backward ? F(c.Dy) : null, DhT = backward ? FOpt(c.DhT) : null, DAT = backward ? FOpt(c.DAT) : null,
    };

    /// <summary>The device to test a schedule on: the group schedule wants GPU-shaped groups.</summary>
    public static Accelerator AcceleratorFor(SweepSchedule schedule) =>
        schedule == SweepSchedule.Group ? Devices.CpuNvidia.Accelerator : Devices.Cpu.Accelerator;

    public static FastWeightRnnHostResult Run(ReferenceCase c, SweepSchedule schedule, int? checkpointInterval = null, bool backward = true,
        FastWeightForm form = FastWeightForm.Matrix)
    {
        using var layer = new FastWeightRnnLayer(AcceleratorFor(schedule), Options(c.Config, schedule, checkpointInterval, form));
        return FastWeightRnnHost.Run(layer, HostInputs(c, backward));
    }

    /// <summary>(name, kernel, reference) for every output and gradient.</summary>
    public static IEnumerable<(string Name, float[] Actual, double[] Expected)> Pairs(FastWeightRnnHostResult r, ReferenceOutputs o, ReferenceGradients? g)
    {
        yield return ("y", r.Y, o.Y);
        yield return ("hT", r.HT, o.HT);
        yield return ("AT", r.AT, o.AT);
        if (g is null) yield break;
        yield return ("dx", r.DX!, g.DX);
        yield return ("dh0", r.DH0!, g.DH0);
        yield return ("dA0", r.DA0!, g.DA0);
        yield return ("dW", r.DW!, g.DW);
        yield return ("dC", r.DC!, g.DC);
        yield return ("db", r.DB!, g.DB);
        yield return ("dLnGain", r.DLnGain!, g.DLnGain);
        yield return ("dLnBias", r.DLnBias!, g.DLnBias);
    }

    public static double RelErr(float[] actual, double[] expected) => Tolerance.RelativeL2(D(actual), expected);

    /// <summary>
    /// Asserts (all at once) that every output is within <paramref name="forwardTolerance"/> and every
    /// gradient within <paramref name="gradientTolerance"/> relative L2 of the reference; prints each error.
    /// </summary>
    public static void AssertMatches(FastWeightRnnHostResult r, ReferenceOutputs o, ReferenceGradients? g,
        double forwardTolerance, double gradientTolerance)
    {
        Tolerance.AssertAll(Pairs(r, o, g).Select(p => (p.Name, p.Actual, p.Expected, p.Name is "y" or "hT" or "AT" ? forwardTolerance : gradientTolerance)));
    }
}
