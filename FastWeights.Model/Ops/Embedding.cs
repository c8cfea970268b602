using static FastWeights.Kernels.Core.KernelEntry;
using FastWeights.Kernels.Core;
using FastWeights.Model.Parameters;

namespace FastWeights.Model.Ops;

/// <summary>Arguments of <see cref="EmbeddingKernels.Forward"/> and <see cref="EmbeddingKernels.Backward"/>.</summary>
internal struct EmbeddingArgs
{
    public int Samples, Vocabulary, Dimension;
    public ArrayView<float> Rows;                   // forward: output [N,D]; backward: dOutput [N,D]
    public ArrayView<int> Tokens;                   // [N]
    public ArrayView<float> Weight;                 // forward: weight [V,D]; backward: weight.Grad [V,D]
}

/// <summary>The embedding lookup and its gradient.</summary>
internal static class EmbeddingKernels
{
    /// <summary>How a layer loads <see cref="Forward"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, EmbeddingArgs>> ForwardEntry = AutoGrouped<EmbeddingArgs>(Forward);
    /// <summary>How a layer loads <see cref="Backward"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, EmbeddingArgs>> BackwardEntry = AutoGrouped<EmbeddingArgs>(Backward);
    /// <summary>One thread per sample n: output[n,:] = weight[tokens[n],:], or zeros for a token outside [0,V).</summary>
    public static void Forward(Index1D index, EmbeddingArgs a)
    {
        long n = index;
        int token = a.Tokens[n];
        long outRow = n * a.Dimension;
        if (token < 0 || token >= a.Vocabulary)
        {
            for (int d = 0; d < a.Dimension; d++)
                a.Rows[outRow + d] = 0f;
            return;
        }
        long wRow = (long)token * a.Dimension;
        for (int d = 0; d < a.Dimension; d++)
            a.Rows[outRow + d] = a.Weight[wRow + d];
    }

    /// <summary>
    /// One thread per vocabulary row v: grad[v,:] = Σ_{n : tokens[n] = v} dOutput[n,:], summed over n in
    /// ascending order (bit-identical run to run, no atomics). Tokens outside [0,V) match no row.
    /// </summary>
    public static void Backward(Index1D index, EmbeddingArgs a)
    {
        int v = index;
        long gRow = (long)v * a.Dimension;
        for (int d = 0; d < a.Dimension; d++)
            a.Weight[gRow + d] = 0f;
        for (long n = 0; n < a.Samples; n++)
        {
            if (a.Tokens[n] != v) continue;
            long row = n * a.Dimension;
            for (int d = 0; d < a.Dimension; d++)
                a.Weight[gRow + d] += a.Rows[row + d];
        }
    }
}

/// <summary>
/// Token embedding: output[n,:] = weight[tokens[n],:], with one trainable parameter
/// <c>name.weight</c> [V,D] (row-major float32).
/// </summary>
/// <remarks>
/// <para>Tokens outside [0, V) never make a kernel read or write out of bounds: the forward writes a
/// zero row for them and the backward skips them (they contribute no gradient). Checking the range on the
/// host would need a device→host copy, so it is left to the caller.</para>
/// <para>Memory contract: <see cref="Backward"/> overwrites <c>weight.Grad</c> (it does not accumulate).
/// Every view must live on <see cref="Accelerator"/>; calls are asynchronous on the stream given; every
/// argument is checked before any kernel is queued.</para>
/// </remarks>
public sealed class Embedding : Op, IModule, IDisposable
{
    private readonly KernelPair<EmbeddingArgs> kernels;

    /// <summary>Allocates <c>name.weight</c> [V,D] (zeros) and compiles the kernels.</summary>
    /// <param name="accelerator">Where the parameter and every view passed later live.</param>
    /// <param name="name">Module name; the parameter is <c>name.weight</c>.</param>
    /// <param name="vocabulary">V ≥ 1: number of tokens.</param>
    /// <param name="dimension">D ≥ 1: width of an embedding row.</param>
    /// <exception cref="ArgumentNullException">accelerator or name is null.</exception>
    /// <exception cref="ArgumentException">name is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1, or V·D ≥ 2³¹.</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public Embedding(Accelerator accelerator, string name, int vocabulary, int dimension)
        : base(accelerator, name)
    {
        ViewChecks.Positive(vocabulary, nameof(vocabulary));
        ViewChecks.Positive(dimension, nameof(dimension));
        ViewChecks.FitsInt((long)vocabulary * dimension, nameof(vocabulary), "V·D");
        Vocabulary = vocabulary;
        Dimension = dimension;
        kernels = new KernelPair<EmbeddingArgs>(accelerator, EmbeddingKernels.ForwardEntry, EmbeddingKernels.BackwardEntry);
        Weight = new Parameter(accelerator, name + ".weight", vocabulary, dimension);
        Parameters = [Weight];
    }

    /// <summary>V: number of tokens.</summary>
    public int Vocabulary { get; }

    /// <summary>D: width of an embedding row.</summary>
    public int Dimension { get; }

    /// <summary><c>name.weight</c> [V,D].</summary>
    public Parameter Weight { get; }

    /// <summary>The single parameter <see cref="Weight"/>.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Looks up one row per token (one launch, one thread per sample).</summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="output">Out [N,D]. Overwritten; a zero row for a token outside [0,V).</param>
    /// <param name="tokens">In [N].</param>
    /// <param name="n">N ≥ 1: number of samples.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">n &lt; 1 or N·D ≥ 2³¹.</exception>
    /// <exception cref="ObjectDisposedException">The stream or a buffer is disposed.</exception>
    public void Forward(AcceleratorStream stream, ArrayView<float> output, ArrayView<int> tokens, int n)
    {
        CheckCall(stream, output, nameof(output), tokens, n);
        kernels.Forward(stream, (Index1D)n, Args(output, tokens, Weight.Value.View, n));
    }

    /// <summary>
    /// dL/dweight given dL/doutput: weight.Grad[v,:] = Σ over the samples with token v of dOutput[n,:],
    /// summed in sample order (bit-identical run to run). Rows of unused tokens get zeros.
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="dOutput">In [N,D].</param>
    /// <param name="tokens">In [N]: the forward's tokens. Tokens outside [0,V) are skipped.</param>
    /// <param name="n">N ≥ 1.</param>
    /// <remarks>Overwrites <c>weight.Grad</c>. One launch, one thread per vocabulary row.</remarks>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">n &lt; 1 or N·D ≥ 2³¹.</exception>
    /// <exception cref="ObjectDisposedException">The stream or a buffer is disposed.</exception>
    public void Backward(AcceleratorStream stream, ArrayView<float> dOutput, ArrayView<int> tokens, int n)
    {
        CheckCall(stream, dOutput, nameof(dOutput), tokens, n);
        kernels.Backward(stream, (Index1D)Vocabulary, Args(dOutput, tokens, Weight.Grad.View, n));
    }

    private EmbeddingArgs Args(ArrayView<float> rows, ArrayView<int> tokens, ArrayView<float> weight, int n) => new()
    {
        Samples = n, Vocabulary = Vocabulary, Dimension = Dimension, Rows = rows, Tokens = tokens, Weight = weight,
    };

    private void CheckCall(AcceleratorStream stream, ArrayView<float> rows, string rowsName, ArrayView<int> tokens, int n)
    {
        CheckRows(stream, n, Dimension, "N·D");
        ViewChecks.Required(rows, rowsName, (long)n * Dimension, $"[N={n},D={Dimension}]", Accelerator);
        ViewChecks.Required(tokens, nameof(tokens), n, $"[N={n}]", Accelerator);
    }

    /// <summary>Frees the parameter's buffers.</summary>
    public void Dispose() => Weight.Dispose();
}
