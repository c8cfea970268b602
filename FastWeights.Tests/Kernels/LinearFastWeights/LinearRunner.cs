using FastWeights.Kernels.LinearFastWeights;
using FastWeights.Tests.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Kernels.LinearFastWeights;

/// <summary>Runs a <see cref="LinearReferenceCase"/> through the float32 kernels and compares with the float64 reference.</summary>
public static class LinearRunner
{
    private static float[]? F(double[]? a) => a is null ? null : Array.ConvertAll(a, v => (float)v);

    public static LinearFastWeightHostInputs HostInputs(LinearReferenceCase c, bool backward = true) => new()
    {
        Batch = c.Config.Batch, Time = c.Config.Time,
        Q = F(c.Q)!, K = F(c.K)!, V = F(c.V)!, Beta = F(c.Beta), W0 = F(c.W0), Z0 = F(c.Z0),
        Dy = backward ? F(c.Dy) : null, DwT = backward ? F(c.DwT) : null, DzT = backward ? F(c.DzT) : null,
    };

    public static LinearFastWeightHostResult Run(LinearReferenceCase c, SweepSchedule schedule, bool storeAll = false, bool backward = true,
        bool compensated = true)
    {
        using var layer = new LinearFastWeightLayer(LayerRunner.AcceleratorFor(schedule), c.Config.Options(schedule, storeAll, compensated));
        return LinearFastWeightHost.Run(layer, HostInputs(c, backward));
    }

    /// <summary>(name, kernel, reference) for every output and gradient the options produce.</summary>
    public static IEnumerable<(string Name, float[] Actual, double[] Expected)> Pairs(LinearFastWeightHostResult r,
        LinearReferenceOutputs o, LinearReferenceGradients? g)
    {
        yield return ("y", r.Y, o.Y);
        yield return ("wT", r.WT, o.WT);
        if (o.ZT is not null) yield return ("zT", r.ZT!, o.ZT);
        if (g is null) yield break;
        yield return ("dq", r.DQ!, g.DQ);
        yield return ("dk", r.DK!, g.DK);
        yield return ("dv", r.DV!, g.DV);
        if (g.DBeta is not null) yield return ("dbeta", r.DBeta!, g.DBeta);
        yield return ("dw0", r.DW0!, g.DW0);
        if (g.DZ0 is not null) yield return ("dz0", r.DZ0!, g.DZ0);
    }

    /// <summary>The relative L2 error of every tensor, by name.</summary>
    public static Dictionary<string, double> Errors(LinearFastWeightHostResult r, LinearReferenceOutputs o, LinearReferenceGradients? g) =>
        Pairs(r, o, g).ToDictionary(p => p.Name, p => LayerRunner.RelErr(p.Actual, p.Expected));

    /// <summary>
    /// Asserts (all at once) that every output is within <paramref name="forwardTolerance"/> and every gradient within
    /// <paramref name="gradientTolerance"/> relative L2 (<see cref="Tolerance.RelativeL2"/>, per tensor); prints each error.
    /// </summary>
    public static void AssertMatches(LinearFastWeightHostResult r, LinearReferenceOutputs o, LinearReferenceGradients? g,
        double forwardTolerance, double gradientTolerance)
    {
        Tolerance.AssertAll(Pairs(r, o, g).Select(p => (p.Name, p.Actual, p.Expected, p.Name is "y" or "wT" or "zT" ? forwardTolerance : gradientTolerance)));
    }
}
