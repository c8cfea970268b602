using FastWeights.Kernels.Primitives;

namespace FastWeights.Kernels.Lstm;

/// <summary>Arguments of <see cref="NormParameterGradient"/>.</summary>
internal struct NormParameterGradientArgs
{
    public int Batch, Hidden;                      // Hidden = the norm's width
    public ArrayView<float> DLnGain, DLnBias;       // [width] out
    public ArrayView<float> Partials;               // [B,2,width] per-sequence Σ dn ⊙ x̂ and Σ dn
}

/// <summary>
/// dγ[j] and dβ[j] of a layer norm from the reverse sweep's per-sequence partials [B,2,width], summed over b in index
/// order by one thread per entry, so the result is bit-identical from run to run. The LSTM uses it for its cell norm
/// (its gate norms go through <see cref="Primitives.ParameterGradients.VectorGradientKernel"/>, which also forms db);
/// the HyperLSTM for all four of its norms (its biases are summed elsewhere).
/// </summary>
internal static class NormParameterGradient
{
    /// <summary>How a layer loads <see cref="Kernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, NormParameterGradientArgs>> Entry = AutoGrouped<NormParameterGradientArgs>(Kernel);
    public static void Kernel(Index1D index, NormParameterGradientArgs a) =>
        ParameterGradients.NormGradientAt(index, a.Batch, a.Hidden, a.Partials, a.DLnGain, a.DLnBias);

    /// <summary>Queues dγ, dβ [width] of one layer norm from its per-sequence partials [B,2,width].</summary>
    public static void Launch(Action<AcceleratorStream, Index1D, NormParameterGradientArgs> kernel, AcceleratorStream stream,
        int batch, int width, ArrayView<float> dGain, ArrayView<float> dBias, ArrayView<float> partials) =>
        kernel(stream, (Index1D)width, new NormParameterGradientArgs
        {
            Batch = batch, Hidden = width, DLnGain = dGain, DLnBias = dBias, Partials = partials,
        });
}
