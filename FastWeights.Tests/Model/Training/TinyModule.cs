using FastWeights.Model.Parameters;

namespace FastWeights.Tests.Model.Training;

/// <summary>A test module holding a few parameters of given names and shapes on the CPU accelerator.</summary>
internal sealed class TinyModule : IModule, IDisposable
{
    /// <summary>The three parameters most tests use: odd sizes 15, 7 and 18.</summary>
    public static readonly (string Name, int[] Shape)[] Standard =
    [
        ("tiny.weight", [3, 5]),
        ("tiny.bias", [7]),
        ("tiny.gain", [2, 3, 3]),
    ];

    private readonly Parameter[] parameters;

    public TinyModule(params (string Name, int[] Shape)[] specs)
    {
        parameters = specs.Select(s => new Parameter(Devices.Cpu.Accelerator, s.Name, s.Shape)).ToArray();
    }

    public IReadOnlyList<Parameter> Parameters => parameters;

    /// <summary>The standard module with values uniform in ±(0.5..1.5) (never near zero), from <paramref name="seed"/>.</summary>
    public static TinyModule Random(int seed, params (string Name, int[] Shape)[] specs)
    {
        var module = new TinyModule(specs.Length == 0 ? Standard : specs);
        var rng = new Random(seed);
        foreach (Parameter p in module.parameters)
            p.Upload(AwayFromZero(rng, p.Length, 0.5, 1.5));
        return module;
    }

    /// <summary>Values with |x| in [lo, hi] and a random sign.</summary>
    public static float[] AwayFromZero(Random rng, long length, double lo, double hi)
    {
        var v = new float[length];
        for (long k = 0; k < length; k++)
            v[k] = (float)((rng.Next(2) == 0 ? -1 : 1) * (lo + (hi - lo) * rng.NextDouble()));
        return v;
    }

    public static void SetGrad(Parameter p, float[] g) => p.Grad.CopyFromCPU(g);

    public float[][] Values() => parameters.Select(p => p.Download()).ToArray();

    public void Dispose()
    {
        foreach (Parameter p in parameters) p.Dispose();
    }
}
