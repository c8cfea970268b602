using ILGPU.Algorithms;

namespace FastWeights.Kernels.LinearFastWeights;

/// <summary>
/// φ and its vector–Jacobian product on the device, one output element per call so that each thread of a
/// schedule computes the elements it owns. x is the d-vector at <c>offset</c> of a [.., d] view.
/// DPFP-ν (docs/linear-fast-weights.md §2): with n = 2d and r_p = ReLU(x_p) for p &lt; d, ReLU(−x_{p−d}) otherwise,
/// φ_{(s−1)n + p} = r_p · r_{(p − s) mod n} for s = 1..ν, p = 0..n−1 (torch.roll(r, s) puts r_{p−s} at p).
/// </summary>
internal static class FeatureMapMath
{
    /// <summary>φ(x)_j.</summary>
    public static float Feature(int map, ArrayView<float> x, long offset, int d, int j)
    {
        if (map == (int)FeatureMap.Identity) return x[offset + j];
        if (map == (int)FeatureMap.EluPlusOne)
        {
            float xj = x[offset + j];
            return xj > 0f ? xj + 1f : XMath.Exp(xj);
        }
        int n = 2 * d;
        int s = j / n + 1, p = j - (s - 1) * n;
        return Relu(x, offset, d, p) * Relu(x, offset, d, Wrap(p - s, n));
    }

    /// <summary>
    /// dL/dx_i given dL/dφ in <paramref name="dphi"/> (length d'). For DPFP, r_p enters φ at (s, p) as the left
    /// factor and at (s, p + s) as the right factor, so dL/dr_p = Σ_s dφ_{s,p} r_{p−s} + dφ_{s,p+s} r_{p+s};
    /// x_i reaches r_i (when x_i &gt; 0) and r_{d+i} (when x_i &lt; 0, with sign −1). ReLU'(0) = 0.
    /// </summary>
    public static float Gradient(int map, ArrayView<float> x, long offset, int d, ArrayView<float> dphi, int i)
    {
        float xi = x[offset + i];
        if (map == (int)FeatureMap.Identity) return dphi[i];
        if (map == (int)FeatureMap.EluPlusOne) return xi > 0f ? dphi[i] : dphi[i] * XMath.Exp(xi);
        int nu = map - (int)FeatureMap.Dpfp1 + 1;
        if (xi > 0f) return ReluGradient(x, offset, d, dphi, nu, i);
        if (xi < 0f) return -ReluGradient(x, offset, d, dphi, nu, i + d);
        return 0f;
    }

    private static float ReluGradient(ArrayView<float> x, long offset, int d, ArrayView<float> dphi, int nu, int p)
    {
        int n = 2 * d;
        float g = 0f;
        for (int s = 1; s <= nu; s++)
        {
            int block = (s - 1) * n;
            int ahead = Wrap(p + s, n);
            g += dphi[block + p] * Relu(x, offset, d, Wrap(p - s, n)) + dphi[block + ahead] * Relu(x, offset, d, ahead);
        }
        return g;
    }

    /// <summary>r_p = ReLU([x, −x])_p.</summary>
    private static float Relu(ArrayView<float> x, long offset, int d, int p)
    {
        float v = p < d ? x[offset + p] : -x[offset + p - d];
        return v > 0f ? v : 0f;
    }

    /// <summary>p mod n, non-negative (p − s can be below −n when 2d = 2 and ν = 3).</summary>
    private static int Wrap(int p, int n) => ((p % n) + n) % n;
}
