using ILGPU;

namespace FastWeights.Kernels.Lstm;

/// <summary>Arguments of <see cref="CellNormGradient"/>.</summary>
internal struct CellNormGradientArgs
{
    public int Batch, Hidden;
    public ArrayView<float> DLnGain, DLnBias;       // [H] out
    public ArrayView<float> Partials;               // [B,2,H] per-sequence Σ dm ĉ and Σ dm
}

/// <summary>
/// dγ_c[j] and dβ_c[j]: the reverse sweep's per-sequence partials summed over b in index order by one thread per
/// unit, so the result is bit-identical from run to run (the gate parameters go through
/// <see cref="Primitives.ParameterGradients.VectorGradientKernel"/>, which also forms db; the cell has no bias of its own).
/// </summary>
internal static class CellNormGradient
{
    public static void Kernel(Index1D index, CellNormGradientArgs a)
    {
        int j = index;
        float dg = 0f, dBeta = 0f;
        for (int b = 0; b < a.Batch; b++)
        {
            dg += a.Partials[(long)b * 2 * a.Hidden + j];
            dBeta += a.Partials[(long)b * 2 * a.Hidden + a.Hidden + j];
        }
        a.DLnGain[j] = dg;
        a.DLnBias[j] = dBeta;
    }
}
