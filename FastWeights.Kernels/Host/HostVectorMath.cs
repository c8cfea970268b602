using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastWeights.Kernels.Host;

/// <summary>
/// <see cref="IVectorMath"/> over spans in 256-bit SIMD (AVX2 on x64, NEON pairs on Arm; scalar where neither exists).
/// Valid only in bodies that run as .NET code over CPU-accelerator memory (<see cref="HostExecution"/>); ILGPU never
/// compiles it.
/// </summary>
/// <remarks>
/// Written out rather than calling <c>TensorPrimitives</c>: the sweeps call these on rows of H = 16…512 floats millions
/// of times, where a library call's dispatch and remainder handling cost about as much as the arithmetic (measured
/// in CPU time at B = 32, T = 64, H = 64 under load: the layer's training step about halved). Dot sums eight lanes in two accumulators, then
/// across them, then the tail in order, so it rounds differently from <see cref="ScalarVectorMath"/> but always the same
/// way for the same n (deterministic). Every method is inlined into its caller: the host bodies that call them are
/// optimised at their first call (<c>AggressiveOptimization</c>), and a call left out of line would run as unoptimised
/// tier-0 code until the runtime re-compiles it, which made a short benchmark 3–4× slower. The element-wise operations round exactly as the scalar loops do (no fused
/// multiply–add), so a forward's update and the rebuild that undoes it agree with the other schedules' arithmetic.
/// </remarks>
public readonly struct HostVectorMath : IVectorMath
{
    /// <summary>The n elements of <paramref name="view"/> from <paramref name="offset"/> as a span (no copy).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Span<float> Run(ArrayView<float> view, long offset, int n) =>
        n == 0 ? Span<float>.Empty : MemoryMarshal.CreateSpan(ref view[offset], n);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Dot(ArrayView<float> x, long xOffset, ArrayView<float> y, long yOffset, int n) =>
        Dot(Run(x, xOffset, n), Run(y, yOffset, n));

    /// <summary>Σ x_k y_k over spans of equal length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        int n = x.Length, k = 0;
        float sum = 0f;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            ref float xr = ref MemoryMarshal.GetReference(x);
            ref float yr = ref MemoryMarshal.GetReference(y);
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            for (; k + 16 <= n; k += 16)
            {
                acc0 += Vector256.LoadUnsafe(ref xr, (nuint)k) * Vector256.LoadUnsafe(ref yr, (nuint)k);
                acc1 += Vector256.LoadUnsafe(ref xr, (nuint)(k + 8)) * Vector256.LoadUnsafe(ref yr, (nuint)(k + 8));
            }
            if (k + 8 <= n)
            {
                acc0 += Vector256.LoadUnsafe(ref xr, (nuint)k) * Vector256.LoadUnsafe(ref yr, (nuint)k);
                k += 8;
            }
            sum = Vector256.Sum(acc0 + acc1);
        }
        for (; k < n; k++)
            sum += x[k] * y[k];
        return sum;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Axpy(ArrayView<float> y, long yOffset, float a, ArrayView<float> x, long xOffset, int n) =>
        ScaleAdd(Run(y, yOffset, n), 1f, a, Run(x, xOffset, n), scale: false);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ScaleAdd(ArrayView<float> y, long yOffset, float alpha, float beta, ArrayView<float> x, long xOffset, int n) =>
        ScaleAdd(Run(y, yOffset, n), alpha, beta, Run(x, xOffset, n), scale: true);

    /// <summary>y = alpha·y + beta·x over spans of equal length, two roundings per element as in the scalar loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void ScaleAdd(Span<float> y, float alpha, float beta, ReadOnlySpan<float> x) => ScaleAdd(y, alpha, beta, x, scale: true);

    /// <summary>y = alpha·y + beta·x (or y + beta·x when not <paramref name="scale"/>), two roundings as in the scalar loop.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScaleAdd(Span<float> y, float alpha, float beta, ReadOnlySpan<float> x, bool scale) =>
        Map(y, x, new ScaleAddRule(alpha, beta, scale));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SubtractScaledDivide(ArrayView<float> y, long yOffset, float a, ArrayView<float> x, long xOffset, float divisor, int n) =>
        SubtractScaledDivide(Run(y, yOffset, n), a, Run(x, xOffset, n), divisor);

    /// <summary>y = (y − a·x) / divisor over spans of equal length, rounded as the scalar loop rounds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void SubtractScaledDivide(Span<float> ys, float a, ReadOnlySpan<float> xs, float divisor) =>
        Map(ys, xs, new SubtractScaledDivideRule(a, divisor));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Scale(ArrayView<float> y, long yOffset, float alpha, int n)
    {
        var ys = Run(y, yOffset, n);
        int k = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float yr = ref MemoryMarshal.GetReference(ys);
            var va = Vector256.Create(alpha);
            for (; k + 8 <= n; k += 8)
                (va * Vector256.LoadUnsafe(ref yr, (nuint)k)).StoreUnsafe(ref yr, (nuint)k);
        }
        for (; k < n; k++)
            ys[k] *= alpha;
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Copy(ArrayView<float> target, long targetOffset, ArrayView<float> source, long sourceOffset, int n) =>
        Run(source, sourceOffset, n).CopyTo(Run(target, targetOffset, n));

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Fill(ArrayView<float> y, long yOffset, float value, int n) => Run(y, yOffset, n).Fill(value);

    /// <summary>y_k ← rule(y_k, x_k) over spans of equal length: eight lanes at a time, then the tail in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Map<TRule>(Span<float> y, ReadOnlySpan<float> x, TRule rule) where TRule : struct, IElementRule
    {
        int n = y.Length, k = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float yr = ref MemoryMarshal.GetReference(y);
            ref float xr = ref MemoryMarshal.GetReference(x);
            for (; k + 8 <= n; k += 8)
                rule.Apply(Vector256.LoadUnsafe(ref yr, (nuint)k), Vector256.LoadUnsafe(ref xr, (nuint)k)).StoreUnsafe(ref yr, (nuint)k);
        }
        for (; k < n; k++)
            y[k] = rule.Apply(y[k], x[k]);
    }

    /// <summary>An element-wise rule of <see cref="Map"/>: the same operations in the same order in lanes and in the scalar tail.</summary>
    private interface IElementRule
    {
        Vector256<float> Apply(Vector256<float> y, Vector256<float> x);
        float Apply(float y, float x);
    }

    /// <summary>y = alpha·y + beta·x (or y + beta·x when not scaling): two roundings, as in the scalar loop.</summary>
    private readonly struct ScaleAddRule(float alpha, float beta, bool scale) : IElementRule
    {
        private readonly Vector256<float> va = Vector256.Create(alpha), vb = Vector256.Create(beta);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Apply(Vector256<float> y, Vector256<float> x)
        {
            var product = vb * x;
            return scale ? va * y + product : y + product;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(float y, float x) => scale ? alpha * y + beta * x : y + beta * x;
    }

    /// <summary>y = (y − a·x) / divisor.</summary>
    private readonly struct SubtractScaledDivideRule(float a, float divisor) : IElementRule
    {
        private readonly Vector256<float> va = Vector256.Create(a), vd = Vector256.Create(divisor);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Vector256<float> Apply(Vector256<float> y, Vector256<float> x) => (y - va * x) / vd;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Apply(float y, float x) => (y - a * x) / divisor;
    }
}
