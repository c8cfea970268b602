using static FastWeights.Kernels.Core.KernelEntry;
using FastWeights.Kernels.Core;
using FastWeights.Model.Parameters;
using ILGPU.Algorithms;

namespace FastWeights.Model.Ops;

/// <summary>Arguments of the <see cref="LayerNormKernels"/>.</summary>
internal struct LayerNormArgs
{
    public int Samples, Width;
    public float Epsilon;
    public ArrayView<float> Y, X, Stats;            // [N,D], [N,D], [N,2] = (μ, 1/σ)
    public ArrayView<float> Dy, Dx;                 // [N,D] (backward)
    public ArrayView<float> Gain, Bias;             // [D]
    public ArrayView<float> DGain, DBias;           // [D] (backward)
}

/// <summary>
/// The layer norm's kernels. Row statistics and every reduction are summed by one thread in a fixed order, so
/// results are bit-identical run to run (no atomics).
/// </summary>
internal static class LayerNormKernels
{
    /// <summary>How a layer loads <see cref="Forward"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LayerNormArgs>> ForwardEntry = AutoGrouped<LayerNormArgs>(Forward);
    /// <summary>How a layer loads <see cref="ParameterGradients"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LayerNormArgs>> ParameterGradientsEntry = AutoGrouped<LayerNormArgs>(ParameterGradients);
    /// <summary>How a layer loads <see cref="InputGradient"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LayerNormArgs>> InputGradientEntry = AutoGrouped<LayerNormArgs>(InputGradient);
    /// <summary>One thread per row n: μ, σ = sqrt(mean((x−μ)²) + ε), y = g⊙(x−μ)/σ + b; stores (μ, 1/σ).</summary>
    public static void Forward(Index1D index, LayerNormArgs a)
    {
        long row = (long)(int)index * a.Width;
        float mean = 0f;
        for (int i = 0; i < a.Width; i++) mean += a.X[row + i];
        mean /= a.Width;
        // Two passes (mean first, then the centred squares) instead of E[x²] − μ², which cancels catastrophically.
        float variance = 0f;
        for (int i = 0; i < a.Width; i++)
        {
            float c = a.X[row + i] - mean;
            variance += c * c;
        }
        variance /= a.Width;
        float inverse = 1f / XMath.Sqrt(variance + a.Epsilon);
        for (int i = 0; i < a.Width; i++)
            a.Y[row + i] = a.Gain[i] * (a.X[row + i] - mean) * inverse + a.Bias[i];
        a.Stats[2L * (int)index] = mean;
        a.Stats[2L * (int)index + 1] = inverse;
    }

    /// <summary>One thread per column i: dg[i] = Σ_n dy[n,i] x̂[n,i], db[i] = Σ_n dy[n,i], n in order.</summary>
    public static void ParameterGradients(Index1D index, LayerNormArgs a)
    {
        int i = index;
        float dg = 0f, db = 0f;
        for (long n = 0; n < a.Samples; n++)
        {
            float dy = a.Dy[n * a.Width + i];
            float xHat = (a.X[n * a.Width + i] - a.Stats[2 * n]) * a.Stats[2 * n + 1];
            dg += dy * xHat;
            db += dy;
        }
        a.DGain[i] = dg;
        a.DBias[i] = db;
    }

    /// <summary>
    /// One thread per row n: with ĝ = dy⊙g and x̂ = (x−μ)/σ, dx = (ĝ − mean(ĝ) − x̂·mean(ĝ⊙x̂)) / σ.
    /// </summary>
    public static void InputGradient(Index1D index, LayerNormArgs a)
    {
        long row = (long)(int)index * a.Width;
        float mean = a.Stats[2L * (int)index], inverse = a.Stats[2L * (int)index + 1];
        float meanG = 0f, meanGx = 0f;
        for (int i = 0; i < a.Width; i++)
        {
            float g = a.Dy[row + i] * a.Gain[i];
            meanG += g;
            meanGx += g * (a.X[row + i] - mean) * inverse;
        }
        meanG /= a.Width;
        meanGx /= a.Width;
        for (int i = 0; i < a.Width; i++)
        {
            float xHat = (a.X[row + i] - mean) * inverse;
            a.Dx[row + i] = (a.Dy[row + i] * a.Gain[i] - meanG - xHat * meanGx) * inverse;
        }
    }
}

/// <summary>
/// Row-wise layer normalisation y = g ⊙ (x − μ)/σ + b over the last dimension (width D), with μ the row mean,
/// σ = sqrt(mean((x − μ)²) + ε) and parameters <c>name.gain</c> [D] and <c>name.bias</c> [D] (row-major float32).
/// </summary>
/// <remarks>
/// <para>The forward also writes each row's (μ, 1/σ) into a stats view [N,2] that the backward reads, so the
/// backward needs neither y nor a second pass over the statistics.</para>
/// <para>Memory contract: <see cref="Backward"/> overwrites <c>gain.Grad</c>, <c>bias.Grad</c> and dx (it does not
/// accumulate). Every view must live on <see cref="Accelerator"/>; calls are asynchronous on the stream given; every
/// argument is checked before any kernel is queued. Launches: forward 1 (a thread per row), backward 2 (a thread per
/// column for dg and db, a thread per row for dx) or 1 without dx.</para>
/// </remarks>
public sealed class LayerNorm : Op, IModule, IDisposable
{
    private readonly Action<AcceleratorStream, Index1D, LayerNormArgs> forward;
    private readonly Action<AcceleratorStream, Index1D, LayerNormArgs> parameterGradients;
    private readonly Action<AcceleratorStream, Index1D, LayerNormArgs> inputGradient;

    /// <summary>Allocates <c>name.gain</c> (ones) and <c>name.bias</c> (zeros) and compiles the kernels.</summary>
    /// <param name="accelerator">Where the parameters and every view passed later live.</param>
    /// <param name="name">Module name; the parameters are <c>name.gain</c> and <c>name.bias</c>.</param>
    /// <param name="width">D ≥ 1, the normalised dimension.</param>
    /// <param name="epsilon">ε &gt; 0 added to the variance (finite). Default 1e-5.</param>
    /// <exception cref="ArgumentNullException">accelerator or name is null.</exception>
    /// <exception cref="ArgumentException">name is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">width &lt; 1 or ε not finite and positive.</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public LayerNorm(Accelerator accelerator, string name, int width, double epsilon = 1e-5)
        : base(accelerator, name)
    {
        ViewChecks.Positive(width, nameof(width));
        if (!(epsilon > 0 && double.IsFinite(epsilon) && (float)epsilon > 0f))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be finite and > 0 (also in float32).");
        Width = width;
        Epsilon = epsilon;
        forward = LayerNormKernels.ForwardEntry.Load(accelerator);
        parameterGradients = LayerNormKernels.ParameterGradientsEntry.Load(accelerator);
        inputGradient = LayerNormKernels.InputGradientEntry.Load(accelerator);
        Gain = new Parameter(accelerator, name + ".gain", width);
        try
        {
            Bias = new Parameter(accelerator, name + ".bias", width);
        }
        catch
        {
            Gain.Dispose();
            throw;
        }
        Initializers.Constant(Gain, 1f);
        Parameters = [Gain, Bias];
    }

    /// <summary>D, the width of a row.</summary>
    public int Width { get; }

    /// <summary>ε added to the variance.</summary>
    public double Epsilon { get; }

    /// <summary><c>name.gain</c> [D].</summary>
    public Parameter Gain { get; }

    /// <summary><c>name.bias</c> [D].</summary>
    public Parameter Bias { get; }

    /// <summary><see cref="Gain"/>, then <see cref="Bias"/>.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>y = g⊙(x−μ)/σ + b for N rows; stats receives (μ, 1/σ) per row for the backward.</summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="y">Out [N,D]. Overwritten. Must not overlap x.</param>
    /// <param name="stats">Out [N,2]: (μ, 1/σ) of each row. Overwritten.</param>
    /// <param name="x">In [N,D].</param>
    /// <param name="n">N ≥ 1.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">n &lt; 1 or N·D ≥ 2³¹.</exception>
    /// <exception cref="ObjectDisposedException">The stream or a buffer is disposed.</exception>
    public void Forward(AcceleratorStream stream, ArrayView<float> y, ArrayView<float> stats, ArrayView<float> x, int n)
    {
        CheckCall(stream, n);
        ViewChecks.Required(y, nameof(y), (long)n * Width, $"[N={n},D={Width}]", Accelerator);
        ViewChecks.Required(stats, nameof(stats), 2L * n, $"[N={n},2]", Accelerator);
        ViewChecks.Required(x, nameof(x), (long)n * Width, $"[N={n},D={Width}]", Accelerator);
        forward(stream, (Index1D)n, Args(n) with { Y = y, Stats = stats, X = x });
    }

    /// <summary>
    /// Gradients given dL/dy: dg = Σ_n dy⊙x̂, db = Σ_n dy, dx = (ĝ − mean(ĝ) − x̂·mean(ĝ⊙x̂))/σ with ĝ = dy⊙g.
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="dx">Out [N,D], or an empty view when not wanted. Overwritten. Must not overlap the inputs.</param>
    /// <param name="dy">In [N,D].</param>
    /// <param name="x">In [N,D]: the forward's input.</param>
    /// <param name="stats">In [N,2]: what the forward wrote for this x.</param>
    /// <param name="n">N ≥ 1.</param>
    /// <remarks>Overwrites <c>gain.Grad</c>, <c>bias.Grad</c> and <paramref name="dx"/>.</remarks>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">n &lt; 1 or N·D ≥ 2³¹.</exception>
    /// <exception cref="ObjectDisposedException">The stream or a buffer is disposed.</exception>
    public void Backward(AcceleratorStream stream, ArrayView<float> dx, ArrayView<float> dy, ArrayView<float> x, ArrayView<float> stats, int n)
    {
        CheckCall(stream, n);
        bool hasDx = ViewChecks.Optional(dx, nameof(dx), (long)n * Width, $"[N={n},D={Width}]", Accelerator);
        ViewChecks.Required(dy, nameof(dy), (long)n * Width, $"[N={n},D={Width}]", Accelerator);
        ViewChecks.Required(x, nameof(x), (long)n * Width, $"[N={n},D={Width}]", Accelerator);
        ViewChecks.Required(stats, nameof(stats), 2L * n, $"[N={n},2]", Accelerator);
        var args = Args(n) with { Dy = dy, X = x, Stats = stats, DGain = Gain.Grad.View, DBias = Bias.Grad.View };
        parameterGradients(stream, (Index1D)Width, args);
        if (hasDx)
            inputGradient(stream, (Index1D)n, args with { Dx = dx });
    }

    private LayerNormArgs Args(int n) => new()
    {
        Samples = n, Width = Width, Epsilon = (float)Epsilon, Gain = Gain.Value.View, Bias = Bias.Value.View,
    };

    private void CheckCall(AcceleratorStream stream, int n) => CheckRows(stream, n, Width, "N·D");

    /// <summary>Frees the parameters' buffers.</summary>
    public void Dispose()
    {
        Gain.Dispose();
        Bias.Dispose();
    }
}
