using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastWeights.Kernels.Host;

/// <summary>
/// The sweeps' n×n matrix operations over spans in 256-bit SIMD, for the host schedule: whole-matrix calls, so that the
/// views are turned into spans once per matrix instead of once per row, and register-blocked so that each load of the
/// vector serves four rows (<see cref="Product"/>) or each accumulator stays in a register across all rows
/// (<see cref="TransposedProduct"/>). Sums are formed in a fixed order: deterministic.
/// </summary>
internal static class HostMatrixMath
{
    private const int Lanes = 8;

    /// <summary>target_i (+)= Σ_j m[i·n + j]·v_j for every row i (added to target when <paramref name="accumulate"/>).</summary>
    // Host execution calls this directly: optimise at the first call (no tier-0 code), since a benchmark or a short
    // job would otherwise time unoptimised loops (measured 3-4x slower in a 4-call run). ILGPU ignores the flag.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void Product(ReadOnlySpan<float> m, ReadOnlySpan<float> v, Span<float> target, int n, bool accumulate)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && n >= Lanes)
        {
            ref float vr = ref MemoryMarshal.GetReference(v);
            ref float mr = ref MemoryMarshal.GetReference(m);
            int full = n - n % Lanes;
            for (; i + 4 <= n; i += 4)
            {
                nuint r0 = (nuint)(i * n), r1 = r0 + (nuint)n, r2 = r1 + (nuint)n, r3 = r2 + (nuint)n;
                var a0 = Vector256<float>.Zero; var a1 = Vector256<float>.Zero;
                var a2 = Vector256<float>.Zero; var a3 = Vector256<float>.Zero;
                for (int k = 0; k < full; k += Lanes)
                {
                    var x = Vector256.LoadUnsafe(ref vr, (nuint)k);
                    a0 += Vector256.LoadUnsafe(ref mr, r0 + (nuint)k) * x;
                    a1 += Vector256.LoadUnsafe(ref mr, r1 + (nuint)k) * x;
                    a2 += Vector256.LoadUnsafe(ref mr, r2 + (nuint)k) * x;
                    a3 += Vector256.LoadUnsafe(ref mr, r3 + (nuint)k) * x;
                }
                float s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
                for (int k = full; k < n; k++)
                {
                    float x = v[k];
                    s0 += m[(int)r0 + k] * x; s1 += m[(int)r1 + k] * x; s2 += m[(int)r2 + k] * x; s3 += m[(int)r3 + k] * x;
                }
                if (accumulate) { target[i] += s0; target[i + 1] += s1; target[i + 2] += s2; target[i + 3] += s3; }
                else { target[i] = s0; target[i + 1] = s1; target[i + 2] = s2; target[i + 3] = s3; }
            }
        }
        for (; i < n; i++)
        {
            float s = HostVectorMath.Dot(m.Slice(i * n, n), v);
            target[i] = accumulate ? target[i] + s : s;
        }
    }

    /// <summary>
    /// target_i = Σ_j v_j·m[j·n + i] (mᵀv): 32 columns at a time held in four accumulators while j runs over the rows,
    /// so each element sums over j in index order, as a column dot product does.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void TransposedProduct(ReadOnlySpan<float> m, ReadOnlySpan<float> v, Span<float> target, int n)
    {
        int c = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float mr = ref MemoryMarshal.GetReference(m);
            ref float tr = ref MemoryMarshal.GetReference(target);
            for (; c + 4 * Lanes <= n; c += 4 * Lanes)
            {
                var a0 = Vector256<float>.Zero; var a1 = Vector256<float>.Zero;
                var a2 = Vector256<float>.Zero; var a3 = Vector256<float>.Zero;
                for (int j = 0; j < n; j++)
                {
                    var w = Vector256.Create(v[j]);
                    nuint row = (nuint)(j * n + c);
                    a0 += w * Vector256.LoadUnsafe(ref mr, row);
                    a1 += w * Vector256.LoadUnsafe(ref mr, row + Lanes);
                    a2 += w * Vector256.LoadUnsafe(ref mr, row + 2 * Lanes);
                    a3 += w * Vector256.LoadUnsafe(ref mr, row + 3 * Lanes);
                }
                a0.StoreUnsafe(ref tr, (nuint)c); a1.StoreUnsafe(ref tr, (nuint)(c + Lanes));
                a2.StoreUnsafe(ref tr, (nuint)(c + 2 * Lanes)); a3.StoreUnsafe(ref tr, (nuint)(c + 3 * Lanes));
            }
            for (; c + Lanes <= n; c += Lanes)
            {
                var a = Vector256<float>.Zero;
                for (int j = 0; j < n; j++)
                    a += Vector256.Create(v[j]) * Vector256.LoadUnsafe(ref mr, (nuint)(j * n + c));
                a.StoreUnsafe(ref tr, (nuint)c);
            }
        }
        for (; c < n; c++)
        {
            float s = 0f;
            for (int j = 0; j < n; j++)
                s += v[j] * m[j * n + c];
            target[c] = s;
        }
    }
}
