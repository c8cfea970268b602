using System.Diagnostics;
using FastWeights.Kernels.FastWeightRnn;
using ILGPU;
using ILGPU.Runtime;

namespace FastWeights.Bench.Commands;

/// <summary>
/// One layer, its workspace and random device tensors for (B, T): times a forward or a backward (each waited for).
/// Shared by <c>time</c> and <c>crossover</c>. The constructor runs one forward and one backward, so kernels
/// are compiled and the tape is in place before anything is timed.
/// </summary>
internal sealed class LayerTimer : IDisposable
{
    private readonly List<MemoryBuffer> buffers = new();
    private readonly Random rng = new(1);
    private readonly int batch, time;
    private readonly FastWeightRnnParameters parameters;
    private readonly FastWeightRnnParameterGradients gradients;
    private readonly ArrayView<float> x, y, hT, aT, dy, dx;

    /// <summary>
    /// The device bytes a timer of this shape allocates: the layer's workspace plus its buffers (parameters and their
    /// gradients, x and dx, y and dy, hT, AT), so that a size that cannot fit is refused before anything is allocated.
    /// Saturates at <see cref="long.MaxValue"/>.
    /// </summary>
    public static long DeviceBytes(FastWeightRnnOptions options, int batch, int time)
    {
        long B = batch, T = time, I = options.InputSize, H = options.HiddenSize;
        long workspace;
        try { workspace = FastWeightRnnLayer.WorkspaceBytes(options, batch, time); }
        catch (OverflowException) { return long.MaxValue; }
        double floats = 2.0 * (H * H + H * I + 3 * H) + 2.0 * B * T * I + 2.0 * B * T * H + B * H + (double)B * H * H;
        double total = workspace + 4 * floats;
        return total >= long.MaxValue || workspace < 0 ? long.MaxValue : (long)total;
    }

    public LayerTimer(Accelerator accelerator, FastWeightRnnOptions options, int batch, int time)
    {
        this.batch = batch;
        this.time = time;
        Layer = new FastWeightRnnLayer(accelerator, options);
        try
        {
            Workspace = Layer.CreateWorkspace(batch, time);
            int B = batch, T = time, I = options.InputSize, H = options.HiddenSize;
            parameters = new FastWeightRnnParameters(Random(accelerator, (long)H * H, 1f / MathF.Sqrt(H)),
                Random(accelerator, (long)H * I, 1f / MathF.Sqrt(I)), Random(accelerator, H, 0.1f),
                Random(accelerator, H, 0.1f), Random(accelerator, H, 0.1f));
            x = Random(accelerator, (long)B * T * I, 1f);
            y = Random(accelerator, (long)B * T * H, 0f);
            hT = Random(accelerator, (long)B * H, 0f);
            aT = Random(accelerator, (long)B * H * H, 0f);
            dy = Random(accelerator, (long)B * T * H, 1f);
            dx = Random(accelerator, (long)B * T * I, 0f);
            gradients = new FastWeightRnnParameterGradients(Random(accelerator, (long)H * H, 0f), Random(accelerator, (long)H * I, 0f),
                Random(accelerator, H, 0f), Random(accelerator, H, 0f), Random(accelerator, H, 0f));
            ForwardMs();
            BackwardMs();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public FastWeightRnnLayer Layer { get; }
    public FastWeightRnnWorkspace Workspace { get; } = null!;

    /// <summary>Wall milliseconds of one forward, synchronised at the end.</summary>
    public double ForwardMs() => Timed(() =>
        Layer.Forward(Layer.Accelerator.DefaultStream, Workspace, y, hT, aT, x, default, default, parameters, batch, time));

    /// <summary>Wall milliseconds of one backward of the last forward, synchronised at the end.</summary>
    public double BackwardMs() => Timed(() =>
        Layer.Backward(Layer.Accelerator.DefaultStream, Workspace, dx, default, default, gradients, dy, default, default, x, parameters, batch, time));

    private double Timed(Action call)
    {
        var sw = Stopwatch.StartNew();
        call();
        Layer.Accelerator.DefaultStream.Synchronize();
        return sw.Elapsed.TotalMilliseconds;
    }

    private ArrayView<float> Random(Accelerator accelerator, long n, float scale)
    {
        var data = new float[n];
        for (long k = 0; k < n; k++) data[k] = scale * (2 * rng.NextSingle() - 1);
        var b = accelerator.Allocate1D(data);
        buffers.Add(b);
        return b.View;
    }

    /// <summary>The median of <paramref name="values"/> (the upper one of an even count).</summary>
    public static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted[sorted.Count / 2];
    }

    public void Dispose()
    {
        Workspace?.Dispose();
        foreach (var b in buffers) b.Dispose();
        Layer.Dispose();
    }
}
