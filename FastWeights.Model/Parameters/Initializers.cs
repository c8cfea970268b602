namespace FastWeights.Model.Parameters;

/// <summary>
/// Host-side initial values, as the paper's reimplementations use them: the recurrent matrix
/// W = scale·I, uniform ±1/√fan_in elsewhere, layer-norm gain 1 and shift 0. Deterministic from the
/// <see cref="Random"/> passed in.
/// </summary>
public static class Initializers
{
    /// <summary>Uniform in [−bound, bound].</summary>
    public static void Uniform(Parameter p, double bound, Random rng)
    {
        var v = new float[p.Length];
        for (long k = 0; k < v.LongLength; k++) v[k] = (float)((2 * rng.NextDouble() - 1) * bound);
        p.Upload(v);
    }

    /// <summary>Uniform ±1/√<paramref name="fanIn"/>.</summary>
    public static void FanIn(Parameter p, int fanIn, Random rng) => Uniform(p, 1.0 / Math.Sqrt(fanIn), rng);

    /// <summary>scale·I for a square [n,n] parameter.</summary>
    /// <exception cref="ArgumentException">Not square.</exception>
    public static void ScaledIdentity(Parameter p, float scale)
    {
        if (p.Shape.Length != 2 || p.Shape[0] != p.Shape[1])
            throw new ArgumentException($"'{p.Name}' is {p.ShapeText}, not square.", nameof(p));
        int n = p.Shape[0];
        var v = new float[p.Length];
        for (int i = 0; i < n; i++) v[(long)i * n + i] = scale;
        p.Upload(v);
    }

    /// <summary>Every element = <paramref name="value"/>.</summary>
    public static void Constant(Parameter p, float value)
    {
        var v = new float[p.Length];
        Array.Fill(v, value);
        p.Upload(v);
    }

    /// <summary>A layer norm's start: every gain 1, every shift 0 (the gain written first).</summary>
    public static void UnitGainZeroShift(Parameter gain, Parameter shift)
    {
        Constant(gain, 1f);
        Constant(shift, 0f);
    }
}
