namespace FastWeights.Tests.Model.Ops;

/// <summary>Random float32 inputs (with their exact float64 copies) and device buffers for the op tests.</summary>
internal sealed class OpTestData : IDisposable
{
    private readonly List<MemoryBuffer> owned = [];

    public OpTestData(Accelerator accelerator) => Accelerator = accelerator;

    public Accelerator Accelerator { get; }

    public AcceleratorStream Stream => Accelerator.DefaultStream;

    /// <summary><paramref name="count"/> draws (2u − 1)·bound in float64, u from <paramref name="rng"/>, in order.</summary>
    public static double[] Uniform64(Random rng, int count, double bound)
    {
        var v = new double[count];
        for (int k = 0; k < count; k++) v[k] = (2 * rng.NextDouble() - 1) * bound;
        return v;
    }

    /// <summary>The draws of <see cref="Uniform64"/> rounded to float32.</summary>
    public static float[] Uniform(Random rng, int count, double bound) => ToFloat(Uniform64(rng, count, bound));

    public static double[] ToDouble(float[] values) => Array.ConvertAll(values, v => (double)v);

    public static float[] ToFloat(double[] values) => Array.ConvertAll(values, v => (float)v);

    /// <summary>
    /// The random Dense problem the kernel and reference-gradient tests draw from System.Random(<paramref name="seed"/>), in
    /// this order: W [outputs, inputs] ~ U(−1,1), b ~ U(−0.5,0.5), x [n, inputs] ~ U(−1,1), dy [n, outputs] ~ U(−1,1).
    /// </summary>
    public static (double[] W, double[] B, double[] X, double[] Dy) DenseProblem(int seed, int n, int inputs, int outputs)
    {
        var rng = new Random(seed);
        return (Uniform64(rng, outputs * inputs, 1.0), Uniform64(rng, outputs, 0.5), Uniform64(rng, n * inputs, 1.0), Uniform64(rng, n * outputs, 1.0));
    }

    public static float[] Filled(long count, float value)
    {
        var v = new float[count];
        Array.Fill(v, value);
        return v;
    }

    public MemoryBuffer1D<float, Stride1D.Dense> Upload(float[] values) => Own(Accelerator.Allocate1D(values));

    public MemoryBuffer1D<int, Stride1D.Dense> Upload(int[] values) => Own(Accelerator.Allocate1D(values));

    /// <summary>A buffer of <paramref name="count"/> elements holding <paramref name="garbage"/>, to show outputs are overwritten.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Output(long count, float garbage = 123f) => Upload(Filled(count, garbage));

    public MemoryBuffer1D<int, Stride1D.Dense> IntOutput(long count, int garbage = 77)
    {
        var v = new int[count];
        Array.Fill(v, garbage);
        return Upload(v);
    }

    public double[] Read(MemoryBuffer1D<float, Stride1D.Dense> buffer)
    {
        Stream.Synchronize();
        return ToDouble(buffer.GetAsArray1D());
    }

    public float[] ReadFloats(MemoryBuffer1D<float, Stride1D.Dense> buffer)
    {
        Stream.Synchronize();
        return buffer.GetAsArray1D();
    }

    public int[] Read(MemoryBuffer1D<int, Stride1D.Dense> buffer)
    {
        Stream.Synchronize();
        return buffer.GetAsArray1D();
    }

    private T Own<T>(T buffer) where T : MemoryBuffer
    {
        owned.Add(buffer);
        return buffer;
    }

    public void Dispose()
    {
        foreach (var b in owned) b.Dispose();
        owned.Clear();
    }
}
