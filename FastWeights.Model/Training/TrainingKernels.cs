using FastWeights.Kernels.Core;
using static FastWeights.Kernels.Core.KernelEntry;

namespace FastWeights.Model.Training;

/// <summary>Arguments of <see cref="TrainingKernels.AdamKernel"/>.</summary>
internal struct AdamArgs
{
    public long Length;
    public int Chunk;                                   // elements per thread
    public float LearningRate, Beta1, Beta2, Epsilon, WeightDecay, GradScale;
    public float OneMinusBeta1, OneMinusBeta2;         // formed in double: 1f − (float)β loses digits (β2 = 0.999)
    public float BiasCorrection1, BiasCorrection2;     // 1 − β1^t, 1 − β2^t
    public ArrayView<float> Value, Grad, M, V;
}

/// <summary>Arguments of <see cref="TrainingKernels.SquareSumKernel"/>.</summary>
internal struct SquareSumArgs
{
    public long Length;
    public int Chunk;                                   // elements per thread
    public int Offset;                                  // first slot of this tensor in Partials
    public ArrayView<float> Values;
    public ArrayView<double> Partials;
}

/// <summary>
/// Element-wise optimizer kernels. Each thread handles one contiguous block of <see cref="ElementsPerThread"/>
/// elements (the last block may be shorter): on the CPU accelerator a simulated thread is expensive, so
/// one thread per scalar would be far slower. The class is also this folder's kernel catalog: <see cref="Adam"/> and
/// <see cref="SquareSum"/> are how the optimizer and the gradient norm load them (once per accelerator).
/// </summary>
internal static class TrainingKernels
{
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, AdamArgs>> Adam = AutoGrouped<AdamArgs>(AdamKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, SquareSumArgs>> SquareSum = AutoGrouped<SquareSumArgs>(SquareSumKernel);

    /// <summary>This folder's catalog entries, in declaration order (the root ModelKernelCatalog lists them for the PTX check).</summary>
    public static IReadOnlyList<KernelEntry> All { get; } = Collect(typeof(TrainingKernels));

    /// <summary>Elements per thread.</summary>
    public const int ElementsPerThread = 2048;

    /// <summary>Threads needed for <paramref name="length"/> elements.</summary>
    public static int Threads(long length) => checked((int)((length + ElementsPerThread - 1) / ElementsPerThread));

    /// <summary>One Adam update of a block: moments, bias correction, decoupled decay.</summary>
    public static void AdamKernel(Index1D index, AdamArgs a)
    {
        long begin = (long)index.X * a.Chunk;
        long end = begin + a.Chunk;
        if (end > a.Length) end = a.Length;
        for (long k = begin; k < end; k++)
        {
            float g = a.Grad[k] * a.GradScale;
            float m = a.Beta1 * a.M[k] + a.OneMinusBeta1 * g;
            float v = a.Beta2 * a.V[k] + a.OneMinusBeta2 * (g * g);
            a.M[k] = m;
            a.V[k] = v;
            float mHat = m / a.BiasCorrection1;
            float vHat = v / a.BiasCorrection2;
            float p = a.Value[k];
            a.Value[k] = p - a.LearningRate * (mHat / (MathF.Sqrt(vHat) + a.Epsilon) + a.WeightDecay * p);
        }
    }

    /// <summary>Partials[Offset + block] = Σ over the block, in element order, of value² (in float64).</summary>
    public static void SquareSumKernel(Index1D index, SquareSumArgs a)
    {
        long begin = (long)index.X * a.Chunk;
        long end = begin + a.Chunk;
        if (end > a.Length) end = a.Length;
        double sum = 0.0;
        for (long k = begin; k < end; k++)
        {
            double x = a.Values[k];
            sum += x * x;
        }
        a.Partials[a.Offset + index.X] = sum;
    }
}
