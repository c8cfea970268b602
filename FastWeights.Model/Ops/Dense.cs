using static FastWeights.Kernels.Core.KernelEntry;
using FastWeights.Kernels.Core;
using FastWeights.Kernels.Host;
using FastWeights.Kernels.Primitives;
using FastWeights.Model.Parameters;

namespace FastWeights.Model.Ops;

/// <summary>The activation fused into a <see cref="Dense"/> layer.</summary>
public enum DenseActivation
{
    /// <summary>y = x Wᵀ + b.</summary>
    None = 0,

    /// <summary>y = max(0, x Wᵀ + b).</summary>
    Relu = 1,
}

/// <summary>Arguments of the <see cref="DenseKernels"/>.</summary>
internal struct DenseArgs
{
    public int Samples, Inputs, Outputs, Relu;
    public ArrayView<float> Y, X;                   // [N,Out], [N,In]
    public ArrayView<float> Dy, Dx;                 // [N,Out], [N,In] (backward)
    public ArrayView<float> Weight, Bias;           // [Out,In], [Out]
    public ArrayView<float> DWeight, DBias;         // [Out,In], [Out] (backward)
}

/// <summary>
/// The dense layer's kernels: the products' rows are Kernels' <see cref="RowProducts"/> (the same bodies as the recurrent
/// layers' input projection and parameter gradients); the ReLU clamp, its mask on g and db are fused around them.
/// Every output element is summed by one thread in a fixed order, so results
/// are bit-identical from run to run (no atomics).
/// </summary>
internal static class DenseKernels
{
    /// <summary>How a layer loads <see cref="Forward"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, DenseArgs>> ForwardEntry = AutoGrouped<DenseArgs>(Forward, ForwardHost);
    /// <summary>How a layer loads <see cref="ParameterGradients"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, DenseArgs>> ParameterGradientsEntry = AutoGrouped<DenseArgs>(ParameterGradients, ParameterGradientsHost);
    /// <summary>How a layer loads <see cref="InputGradient"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, DenseArgs>> InputGradientEntry = AutoGrouped<DenseArgs>(InputGradient, InputGradientHost);
    /// <summary>One thread per sample n: y[n,o] = act(b[o] + W[o,:]·x[n,:]).</summary>
    public static void Forward(Index1D index, DenseArgs a) => ForwardBody(default(ScalarVectorMath), index, a);

    /// <summary><see cref="Forward"/> with SIMD loops, for host execution only.</summary>
    public static void ForwardHost(Index1D index, DenseArgs a) => ForwardBody(default(HostVectorMath), index, a);

    /// <summary>One thread per output unit o: dW[o,:] = Σ_n g[n,o] x[n,:], db[o] = Σ_n g[n,o], n in order.</summary>
    public static void ParameterGradients(Index1D index, DenseArgs a) => ParameterGradientsBody(default(ScalarVectorMath), index, a);

    /// <summary><see cref="ParameterGradients"/> with SIMD loops, for host execution only.</summary>
    public static void ParameterGradientsHost(Index1D index, DenseArgs a) => ParameterGradientsBody(default(HostVectorMath), index, a);

    /// <summary>One thread per sample n: dx[n,:] = Σ_o g[n,o] W[o,:], o in order.</summary>
    public static void InputGradient(Index1D index, DenseArgs a) => InputGradientBody(default(ScalarVectorMath), index, a);

    /// <summary><see cref="InputGradient"/> with SIMD loops, for host execution only.</summary>
    public static void InputGradientHost(Index1D index, DenseArgs a) => InputGradientBody(default(HostVectorMath), index, a);

    // Host execution calls this directly: optimise at the first call (no tier-0 code), since a benchmark or a short
    // job would otherwise time unoptimised loops (measured 3-4x slower in a 4-call run). ILGPU ignores the flag.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void ForwardBody<TMath>(TMath math, long n, DenseArgs a) where TMath : struct, IVectorMath
    {
        long xRow = n * a.Inputs, yRow = n * a.Outputs;
        for (int o = 0; o < a.Outputs; o++)
        {
            float acc = RowProducts.AffineAt(math, a.Weight, a.Bias, o, a.Inputs, a.X, xRow);
            a.Y[yRow + o] = a.Relu != 0 && acc < 0f ? 0f : acc;
        }
    }

    private static float PreActivationGrad(DenseArgs a, long element) =>
        a.Relu != 0 && !(a.Y[element] > 0f) ? 0f : a.Dy[element];

    /// <summary>g[r] = the pre-activation gradient at Dy[offset + r·stride]: the ReLU mask fused into the shared row products.</summary>
    private readonly struct PreActivationGrads(DenseArgs a, long offset, long stride) : IRowWeights
    {
        private readonly DenseArgs a = a;
        private readonly long offset = offset;
        private readonly long stride = stride;

        public float At(int row) => PreActivationGrad(a, offset + row * stride);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void ParameterGradientsBody<TMath>(TMath math, int o, DenseArgs a) where TMath : struct, IVectorMath
    {
        long wRow = (long)o * a.Inputs;
        math.Fill(a.DWeight, wRow, 0f, a.Inputs);
        var g = new PreActivationGrads(a, o, a.Outputs);
        RowProducts.AccumulateWeightedRows(math, g, a.Samples, a.X, 0, a.Inputs, a.DWeight, wRow, a.Inputs);
        // db sums the same g over n in the same order as the dW rows above: the bits of the fused loop it replaced.
        float db = 0f;
        for (int n = 0; n < a.Samples; n++)
            db += g.At(n);
        a.DBias[o] = db;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void InputGradientBody<TMath>(TMath math, long n, DenseArgs a) where TMath : struct, IVectorMath
    {
        long xRow = n * a.Inputs, yRow = n * a.Outputs;
        math.Fill(a.Dx, xRow, 0f, a.Inputs);
        RowProducts.AccumulateWeightedRows(math, new PreActivationGrads(a, yRow, 1), a.Outputs, a.Weight, 0, a.Inputs, a.Dx, xRow, a.Inputs);
    }
}

/// <summary>
/// Fully connected layer y = act(x Wᵀ + b) with parameters <c>name.weight</c> [Out,In] and
/// <c>name.bias</c> [Out] (row-major float32) and an optional fused ReLU.
/// </summary>
/// <remarks>
/// <para>Memory contract: <see cref="Backward"/> overwrites <c>weight.Grad</c>, <c>bias.Grad</c> and dx (it
/// does not accumulate). Every view must live on <see cref="Accelerator"/>; calls are asynchronous on the
/// stream given; every argument is checked before any kernel is queued.</para>
/// <para>Launches: forward 1 (one thread per sample), backward 2 (one thread per output unit for dW and db,
/// one per sample for dx), or 1 when dx is not wanted. Sums run in a fixed order: bit-identical run to run.</para>
/// </remarks>
public sealed class Dense : Op, IModule, IDisposable
{
    private readonly Action<AcceleratorStream, Index1D, DenseArgs> forward;
    private readonly Action<AcceleratorStream, Index1D, DenseArgs> parameterGradients;
    private readonly Action<AcceleratorStream, Index1D, DenseArgs> inputGradient;

    /// <summary>Allocates <c>name.weight</c> [Out,In] and <c>name.bias</c> [Out] (zeros) and compiles the kernels.</summary>
    /// <param name="accelerator">Where the parameters and every view passed later live.</param>
    /// <param name="name">Module name; the parameters are <c>name.weight</c> and <c>name.bias</c>.</param>
    /// <param name="inputs">In ≥ 1.</param>
    /// <param name="outputs">Out ≥ 1.</param>
    /// <param name="activation">Activation fused into the forward (and its mask into the backward).</param>
    /// <exception cref="ArgumentNullException">accelerator or name is null.</exception>
    /// <exception cref="ArgumentException">name is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1, Out·In ≥ 2³¹, or the activation is unknown.</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public Dense(Accelerator accelerator, string name, int inputs, int outputs, DenseActivation activation = DenseActivation.None)
        : base(accelerator, name)
    {
        ViewChecks.Positive(inputs, nameof(inputs));
        ViewChecks.Positive(outputs, nameof(outputs));
        ViewChecks.FitsInt((long)inputs * outputs, nameof(inputs), "Out·In");
        if (activation is not (DenseActivation.None or DenseActivation.Relu))
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        Inputs = inputs;
        Outputs = outputs;
        Activation = activation;
        forward = DenseKernels.ForwardEntry.Load(accelerator);
        parameterGradients = DenseKernels.ParameterGradientsEntry.Load(accelerator);
        inputGradient = DenseKernels.InputGradientEntry.Load(accelerator);
        Weight = new Parameter(accelerator, name + ".weight", outputs, inputs);
        try
        {
            Bias = new Parameter(accelerator, name + ".bias", outputs);
        }
        catch
        {
            Weight.Dispose();
            throw;
        }
        Parameters = [Weight, Bias];
    }

    /// <summary>In: width of x.</summary>
    public int Inputs { get; }

    /// <summary>Out: width of y.</summary>
    public int Outputs { get; }

    /// <summary>The fused activation.</summary>
    public DenseActivation Activation { get; }

    /// <summary><c>name.weight</c> [Out,In].</summary>
    public Parameter Weight { get; }

    /// <summary><c>name.bias</c> [Out].</summary>
    public Parameter Bias { get; }

    /// <summary><see cref="Weight"/>, then <see cref="Bias"/>.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Weight, then bias, uniform ±1/√In from <paramref name="rng"/> (the models' default start).</summary>
    public void InitializeFanIn(Random rng)
    {
        Initializers.FanIn(Weight, Inputs, rng);
        Initializers.FanIn(Bias, Inputs, rng);
    }

    /// <summary>y = act(x Wᵀ + b) for N samples.</summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="y">Out [N,Out]. Overwritten. Must not overlap x.</param>
    /// <param name="x">In [N,In].</param>
    /// <param name="n">N ≥ 1.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">n &lt; 1 or N·max(In,Out) ≥ 2³¹.</exception>
    /// <exception cref="ObjectDisposedException">The stream or a buffer is disposed.</exception>
    public void Forward(AcceleratorStream stream, ArrayView<float> y, ArrayView<float> x, int n)
    {
        CheckCall(stream, n);
        ViewChecks.Required(y, nameof(y), (long)n * Outputs, $"[N={n},Out={Outputs}]", Accelerator);
        ViewChecks.Required(x, nameof(x), (long)n * Inputs, $"[N={n},In={Inputs}]", Accelerator);
        forward(stream, (Index1D)n, Args(n) with { Y = y, X = x });
    }

    /// <summary>
    /// Gradients given dL/dy: with g = dy (masked by [y &gt; 0] under ReLU), dW = gᵀ x, db = Σ_n g,
    /// dx = g W. Sums over samples run in sample order (bit-identical run to run).
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="dx">Out [N,In], or an empty view when not wanted. Overwritten. Must not overlap the inputs.</param>
    /// <param name="dy">In [N,Out].</param>
    /// <param name="x">In [N,In]: the forward's input.</param>
    /// <param name="y">In [N,Out]: the forward's output (read only for the ReLU mask, but always required).</param>
    /// <param name="n">N ≥ 1.</param>
    /// <remarks>Overwrites <c>weight.Grad</c>, <c>bias.Grad</c> and <paramref name="dx"/>.</remarks>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">n &lt; 1 or N·max(In,Out) ≥ 2³¹.</exception>
    /// <exception cref="ObjectDisposedException">The stream or a buffer is disposed.</exception>
    public void Backward(AcceleratorStream stream, ArrayView<float> dx, ArrayView<float> dy, ArrayView<float> x, ArrayView<float> y, int n)
    {
        CheckCall(stream, n);
        bool hasDx = ViewChecks.Optional(dx, nameof(dx), (long)n * Inputs, $"[N={n},In={Inputs}]", Accelerator);
        ViewChecks.Required(dy, nameof(dy), (long)n * Outputs, $"[N={n},Out={Outputs}]", Accelerator);
        ViewChecks.Required(x, nameof(x), (long)n * Inputs, $"[N={n},In={Inputs}]", Accelerator);
        ViewChecks.Required(y, nameof(y), (long)n * Outputs, $"[N={n},Out={Outputs}]", Accelerator);
        var args = Args(n) with { Y = y, X = x, Dy = dy, DWeight = Weight.Grad.View, DBias = Bias.Grad.View };
        parameterGradients(stream, (Index1D)Outputs, args);
        if (hasDx)
            inputGradient(stream, (Index1D)n, args with { Dx = dx });
    }

    private DenseArgs Args(int n) => new()
    {
        Samples = n, Inputs = Inputs, Outputs = Outputs, Relu = Activation == DenseActivation.Relu ? 1 : 0,
        Weight = Weight.Value.View, Bias = Bias.Value.View,
    };

    private void CheckCall(AcceleratorStream stream, int n)
    {
        CheckRows(stream, n, Math.Max(Inputs, Outputs), "N·max(In, Out)");
    }

    /// <summary>Frees the parameters' buffers.</summary>
    public void Dispose()
    {
        Weight.Dispose();
        Bias.Dispose();
    }
}
