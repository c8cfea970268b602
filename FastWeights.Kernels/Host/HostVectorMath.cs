using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using FastWeights.Kernels.Primitives;
using ILGPU;

namespace FastWeights.Kernels.Host;

/// <summary>
/// <see cref="IVectorMath"/> over spans with <see cref="TensorPrimitives"/> (AVX2/AVX-512/NEON as the machine has).
/// Valid only in bodies that run as .NET code over CPU-accelerator memory (<see cref="HostExecution"/>); ILGPU never
/// compiles it. Sums are formed in SIMD lanes and then across them, so they round differently from
/// <see cref="ScalarVectorMath"/>, but deterministically for a given machine.
/// </summary>
internal readonly struct HostVectorMath : IVectorMath
{
    /// <summary>The n elements of <paramref name="view"/> from <paramref name="offset"/> as a span (no copy).</summary>
    public static Span<float> Run(ArrayView<float> view, long offset, int n) =>
        n == 0 ? Span<float>.Empty : MemoryMarshal.CreateSpan(ref view[offset], n);

    public float Dot(ArrayView<float> x, long xOffset, ArrayView<float> y, long yOffset, int n) =>
        TensorPrimitives.Dot(Run(x, xOffset, n), Run(y, yOffset, n));

    public void Axpy(ArrayView<float> y, long yOffset, float a, ArrayView<float> x, long xOffset, int n)
    {
        var target = Run(y, yOffset, n);
        TensorPrimitives.MultiplyAdd(Run(x, xOffset, n), a, target, target);
    }

    public void ScaleAdd(ArrayView<float> y, long yOffset, float alpha, float beta, ArrayView<float> x, long xOffset, int n)
    {
        var target = Run(y, yOffset, n);
        TensorPrimitives.Multiply(target, alpha, target);
        TensorPrimitives.MultiplyAdd(Run(x, xOffset, n), beta, target, target);
    }

    public void SubtractScaledDivide(ArrayView<float> y, long yOffset, float a, ArrayView<float> x, long xOffset, float divisor, int n)
    {
        var target = Run(y, yOffset, n);
        TensorPrimitives.MultiplyAdd(Run(x, xOffset, n), -a, target, target);
        TensorPrimitives.Divide(target, divisor, target);
    }

    public void Scale(ArrayView<float> y, long yOffset, float alpha, int n)
    {
        var target = Run(y, yOffset, n);
        TensorPrimitives.Multiply(target, alpha, target);
    }

    public void Copy(ArrayView<float> target, long targetOffset, ArrayView<float> source, long sourceOffset, int n) =>
        Run(source, sourceOffset, n).CopyTo(Run(target, targetOffset, n));

    public void Fill(ArrayView<float> y, long yOffset, float value, int n) => Run(y, yOffset, n).Fill(value);
}
