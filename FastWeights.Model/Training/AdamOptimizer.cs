using FastWeights.Model.Parameters;

namespace FastWeights.Model.Training;

/// <summary>
/// Adam (Kingma &amp; Ba 2015) with decoupled weight decay (AdamW, Loshchilov &amp; Hutter 2019) over a fixed list of
/// <see cref="Parameter"/>s, on the device. Per element, with g = gradScale·Grad and t the step number (from 1):
/// m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; m̂ = m/(1−β1^t); v̂ = v/(1−β2^t);
/// p ← p − lr·(m̂/(√v̂ + ε) + wd·p).
/// </summary>
/// <remarks>
/// <para>The first and second moments live on the device, one pair of buffers per parameter, zero at the start.
/// A step is one kernel launch per parameter, queued on the given stream (nothing waits for the device); each
/// thread updates a contiguous block of elements. <see cref="Parameter.Grad"/> is read, never written: clipping is
/// applied through the gradScale argument.</para>
/// <para>The kernel is compiled once, in the constructor. Not thread-safe.</para>
/// </remarks>
public sealed class AdamOptimizer : IDisposable
{
    private readonly Action<AcceleratorStream, Index1D, AdamArgs> adam;
    private readonly Parameter[] parameters;
    private readonly (string Name, MemoryBuffer1D<float, Stride1D.Dense> M, MemoryBuffer1D<float, Stride1D.Dense> V)[] state;
    private long stepCount;
    private bool disposed;

    /// <summary>Allocates zero moments for every parameter and compiles the update kernel.</summary>
    /// <param name="acc">The accelerator every parameter and every stream passed later lives on.</param>
    /// <param name="parameters">The parameters to train, in a fixed order (as <see cref="IModule.Parameters"/>): non-empty, names unique.</param>
    /// <param name="options">Hyper-parameters; validated here.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="parameters"/> is empty, holds a null, a duplicate name, or a
    /// parameter on another accelerator.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the exception names the property).</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public AdamOptimizer(Accelerator acc, IReadOnlyList<Parameter> parameters, AdamOptions options)
    {
        ArgumentNullException.ThrowIfNull(acc);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(options);
        if (acc.IsDisposed) throw new ObjectDisposedException(nameof(acc));
        this.parameters = ParameterChecks.Check(parameters, nameof(parameters), acc);
        options.Validate();
        Accelerator = acc;
        Options = options;
        adam = TrainingKernels.Adam.Load(acc);
        state = new (string, MemoryBuffer1D<float, Stride1D.Dense>, MemoryBuffer1D<float, Stride1D.Dense>)[this.parameters.Length];
        try
        {
            for (int k = 0; k < state.Length; k++)
            {
                Parameter p = this.parameters[k];
                var m = acc.Allocate1D<float>(p.Length);
                state[k] = (p.Name, m, null!);
                m.MemSetToZero();
                var v = acc.Allocate1D<float>(p.Length);
                state[k] = (p.Name, m, v);
                v.MemSetToZero();
            }
        }
        catch
        {
            FreeState();
            throw;
        }
        Parameters = Array.AsReadOnly(this.parameters);
        State = Array.AsReadOnly(state);
    }

    /// <summary>The accelerator the parameters and moments live on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The hyper-parameters the optimizer was built with.</summary>
    public AdamOptions Options { get; }

    /// <summary>The parameters, in the order given to the constructor.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>
    /// Per parameter, in <see cref="Parameters"/> order: its name, the first moment m and the second moment v
    /// (device buffers of the parameter's length). For checkpoints; writing them changes the optimizer's state.
    /// </summary>
    public IReadOnlyList<(string Name, MemoryBuffer1D<float, Stride1D.Dense> M, MemoryBuffer1D<float, Stride1D.Dense> V)> State { get; }

    /// <summary>Steps taken so far, t of the last step (0 before the first). Settable to resume from a checkpoint.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to a negative value.</exception>
    public long StepCount
    {
        get => stepCount;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value, nameof(StepCount));
            stepCount = value;
        }
    }

    /// <summary>One step at <see cref="AdamOptions.LearningRate"/> with unscaled gradients.</summary>
    /// <param name="stream">A stream of <see cref="Accelerator"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException">The stream belongs to another accelerator.</exception>
    /// <exception cref="ObjectDisposedException">The optimizer is disposed.</exception>
    public void Step(AcceleratorStream stream) => Step(stream, (float)Options.LearningRate, 1f);

    /// <summary>
    /// One Adam step over every parameter, queued on <paramref name="stream"/> (one launch per parameter; nothing waits).
    /// <see cref="StepCount"/> is incremented first and is the t of the bias correction.
    /// </summary>
    /// <param name="stream">A stream of <see cref="Accelerator"/>.</param>
    /// <param name="learningRate">lr for this step (e.g. from a <see cref="LearningRateSchedule"/>), finite and ≥ 0.</param>
    /// <param name="gradScale">Multiplies every gradient before use (e.g. <see cref="GradientNorm.ClipScale"/>), finite and ≥ 0.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException">The stream belongs to another accelerator.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="learningRate"/> or <paramref name="gradScale"/> is negative, NaN or infinite.</exception>
    /// <exception cref="ObjectDisposedException">The optimizer is disposed.</exception>
    public void Step(AcceleratorStream stream, float learningRate, float gradScale)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ParameterChecks.CheckStream(stream, Accelerator, nameof(stream));
        if (!(float.IsFinite(learningRate) && learningRate >= 0))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "learningRate must be finite and ≥ 0.");
        if (!(float.IsFinite(gradScale) && gradScale >= 0))
            throw new ArgumentOutOfRangeException(nameof(gradScale), gradScale, "gradScale must be finite and ≥ 0.");

        long t = stepCount + 1;
        double correction1 = 1.0 - Math.Pow(Options.Beta1, t);
        double correction2 = 1.0 - Math.Pow(Options.Beta2, t);
        var args = new AdamArgs
        {
            Chunk = TrainingKernels.ElementsPerThread,
            LearningRate = learningRate, GradScale = gradScale,
            Beta1 = (float)Options.Beta1, Beta2 = (float)Options.Beta2,
            OneMinusBeta1 = (float)(1.0 - Options.Beta1), OneMinusBeta2 = (float)(1.0 - Options.Beta2),
            Epsilon = (float)Options.Epsilon, WeightDecay = (float)Options.WeightDecay,
            // In double 1 − β^t ≥ 1 − β ≥ 1.1e-16 for β < 1: never zero, and representable as a float.
            BiasCorrection1 = (float)correction1,
            BiasCorrection2 = (float)correction2,
        };
        for (int k = 0; k < parameters.Length; k++)
        {
            Parameter p = parameters[k];
            args.Length = p.Length;
            args.Value = p.Value.View;
            args.Grad = p.Grad.View;
            args.M = state[k].M.View;
            args.V = state[k].V.View;
            adam(stream, (Index1D)TrainingKernels.Threads(p.Length), args);
        }
        stepCount = t;
    }

    /// <summary>Frees the moment buffers (not the parameters).</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        FreeState();
    }

    private void FreeState()
    {
        foreach (var (_, m, v) in state)
        {
            m?.Dispose();
            v?.Dispose();
        }
    }
}
