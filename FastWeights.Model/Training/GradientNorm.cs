using FastWeights.Model.Parameters;

namespace FastWeights.Model.Training;

/// <summary>
/// The global L2 norm √(Σ_p Σ_i Grad_p[i]²) over a fixed list of parameters, computed on the device
/// deterministically: bit-identical from run to run.
/// </summary>
/// <remarks>
/// <para>One launch per parameter: each thread sums the squares of one contiguous block of a gradient in element
/// order, in float64, into its own slot of a partials buffer. The partials are then copied to the host (the one
/// synchronisation of the call) and added in slot order (parameter order, then block order), still in float64.
/// The blocks depend only on the parameters' lengths, so nothing depends on scheduling.</para>
/// <para>The kernel is compiled once, in the constructor. Not thread-safe.</para>
/// </remarks>
public sealed class GradientNorm : IDisposable
{
    private readonly Action<AcceleratorStream, Index1D, SquareSumArgs> squareSum;
    private readonly Parameter[] parameters;
    private readonly int[] offsets;
    private readonly MemoryBuffer1D<double, Stride1D.Dense> partials;
    private readonly double[] hostPartials;
    private bool disposed;

    /// <summary>Allocates the partials buffer and compiles the kernel.</summary>
    /// <param name="accelerator">Where the parameters live.</param>
    /// <param name="parameters">The parameters whose gradients are measured: non-empty, names unique.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> is empty, holds a null, a duplicate name, or a
    /// parameter on another accelerator.</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public GradientNorm(Accelerator accelerator, IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(parameters);
        if (accelerator.IsDisposed) throw new ObjectDisposedException(nameof(accelerator));
        this.parameters = ParameterChecks.Check(parameters, nameof(parameters), accelerator);
        Accelerator = accelerator;
        Parameters = Array.AsReadOnly(this.parameters);
        offsets = new int[this.parameters.Length];
        int total = 0;
        for (int k = 0; k < offsets.Length; k++)
        {
            offsets[k] = total;
            total = checked(total + TrainingKernels.Threads(this.parameters[k].Length));
        }
        squareSum = TrainingKernels.SquareSum.Load(accelerator);
        partials = accelerator.Allocate1D<double>(total);
        hostPartials = new double[total];
    }

    /// <summary>The accelerator the parameters live on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The parameters, in the order given to the constructor.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>
    /// The global L2 norm of every parameter's <see cref="Parameter.Grad"/>. Queues the kernels on
    /// <paramref name="stream"/> after whatever is already there (e.g. the backward) and waits for them.
    /// </summary>
    /// <param name="stream">A stream of <see cref="Accelerator"/>.</param>
    /// <returns>The norm (NaN or +∞ when a gradient holds NaN or ±∞).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException">The stream belongs to another accelerator.</exception>
    /// <exception cref="ObjectDisposedException">This object is disposed.</exception>
    public double Compute(AcceleratorStream stream)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ParameterChecks.CheckStream(stream, Accelerator, nameof(stream));
        for (int k = 0; k < parameters.Length; k++)
        {
            Parameter p = parameters[k];
            squareSum(stream, (Index1D)TrainingKernels.Threads(p.Length), new SquareSumArgs
            {
                Length = p.Length, Chunk = TrainingKernels.ElementsPerThread, Offset = offsets[k],
                Values = p.Grad.View, Partials = partials.View,
            });
        }
        partials.View.CopyToCPU(stream, hostPartials);
        stream.Synchronize();
        double sum = 0.0;
        foreach (double s in hostPartials) sum += s;
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// The factor that scales gradients of norm <paramref name="norm"/> down to at most <paramref name="maxNorm"/>:
    /// min(1, maxNorm/(norm + 1e-6)). A <paramref name="maxNorm"/> ≤ 0, NaN or +∞ means no clipping (1). A NaN
    /// <paramref name="norm"/> gives NaN (which <see cref="AdamOptimizer.Step(AcceleratorStream, float, float)"/> rejects,
    /// so a broken step is not silently taken); +∞ gives 0.
    /// </summary>
    /// <param name="norm">A gradient norm, ≥ 0 or NaN.</param>
    /// <param name="maxNorm">The largest norm allowed.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="norm"/> is negative.</exception>
    public static double ClipScale(double norm, double maxNorm)
    {
        if (norm < 0) throw new ArgumentOutOfRangeException(nameof(norm), norm, "A norm is never negative.");
        if (!(maxNorm > 0) || double.IsPositiveInfinity(maxNorm)) return 1.0;
        if (double.IsNaN(norm)) return double.NaN;
        return Math.Min(1.0, maxNorm / (norm + 1e-6));
    }

    /// <summary>Frees the partials buffer.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        partials.Dispose();
    }
}
