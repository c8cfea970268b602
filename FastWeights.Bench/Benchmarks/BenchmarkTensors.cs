using FastWeights.Kernels.FastWeightRnn;
using ILGPU;
using ILGPU.Runtime;

namespace FastWeights.Bench.Benchmarks;

/// <summary>
/// The device buffers every variant of a benchmark case reads and writes: inputs x and dy, parameters
/// (random, from a fixed seed), outputs y, hT, AT, dx and the parameter gradients. h0 and A0 are zero
/// (empty views). Owned here, so that a variant's <see cref="ILayerVariant.WorkspaceBytes"/> counts only its own state.
/// </summary>
internal sealed class BenchmarkTensors : IDisposable
{
    private readonly List<MemoryBuffer1D<float, Stride1D.Dense>> buffers = new();
    private readonly Dictionary<string, MemoryBuffer1D<float, Stride1D.Dense>> outputs = new();
    private bool disposed;

    public BenchmarkTensors(Accelerator accelerator, LayerShape shape, int seed = 1)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(shape);
        Accelerator = accelerator;
        Shape = shape;
        var rng = new Random(seed);
        long b = shape.Batch, t = shape.Time, i = shape.Input, h = shape.Hidden;
        try
        {
            ArrayView<float> Random(long n, float scale)
            {
                var data = new float[n];
                for (long k = 0; k < n; k++) data[k] = scale * (2 * rng.NextSingle() - 1);
                var buffer = accelerator.Allocate1D(data);
                buffers.Add(buffer);
                return buffer.View;
            }
            ArrayView<float> Output(string name, long n)
            {
                var buffer = accelerator.Allocate1D(new float[n]);
                buffers.Add(buffer);
                outputs.Add(name, buffer);
                return buffer.View;
            }
            Parameters = new FastWeightRnnParameters(
                Random(h * h, 1f / MathF.Sqrt(h)), Random(h * i, 1f / MathF.Sqrt(i)),
                Random(h, 0.1f), Random(h, 0.1f), Random(h, 0.1f));
            X = Random(b * t * i, 1f);
            Dy = Random(b * t * h, 1f);
            Y = Output("y", b * t * h);
            HT = Output("hT", b * h);
            AT = Output("AT", b * h * h);
            Dx = Output("dx", b * t * i);
            Gradients = new FastWeightRnnParameterGradients(
                Output("dW", h * h), Output("dC", h * i), Output("db", h), Output("dLnGain", h), Output("dLnBias", h));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public Accelerator Accelerator { get; }

    public LayerShape Shape { get; }

    /// <summary>In [B,T,I].</summary>
    public ArrayView<float> X { get; }

    /// <summary>In [B,T,H]: dL/dy.</summary>
    public ArrayView<float> Dy { get; }

    /// <summary>Out [B,T,H].</summary>
    public ArrayView<float> Y { get; }

    /// <summary>Out [B,H].</summary>
    public ArrayView<float> HT { get; }

    /// <summary>Out [B,H,H].</summary>
    public ArrayView<float> AT { get; }

    /// <summary>Out [B,T,I].</summary>
    public ArrayView<float> Dx { get; }

    public FastWeightRnnParameters Parameters { get; }

    public FastWeightRnnParameterGradients Gradients { get; }

    /// <summary>Copies every output (y, hT, AT, dx, dW, dC, db, dLnGain, dLnBias) to the host, after synchronising the accelerator.</summary>
    public IReadOnlyDictionary<string, float[]> ReadOutputs()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        Accelerator.Synchronize();
        return outputs.ToDictionary(o => o.Key, o => o.Value.GetAsArray1D());
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var buffer in buffers) buffer.Dispose();
        buffers.Clear();
        outputs.Clear();
    }
}
