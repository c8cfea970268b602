using FastWeights.Kernels.LinearFastWeights;
using ILGPU.Runtime;

namespace FastWeights.Bench.Capacity;

/// <summary>
/// The capacity argument of Schlag, Irie and Schmidhuber 2021 (§4.2) measured with the kernel layer directly: write n
/// random key/value pairs into one head with the sum rule and with the delta rule, then query every stored key and
/// measure how well its value comes back, as n grows past d'.
/// </summary>
/// <remarks>
/// <para>One forward of T = 2n steps per (map, rule, n), B = trials: steps 1..n write (k_i, v_i) with a full delta write
/// (β logit 30, σ = 1 in float32); steps n+1..2n write nothing (k = 0, so φ(k) = 0, v = 0, β logit −30) and query
/// q = k_i, so y at step n+i is W_n φ(k_i).</para>
/// <para>Keys: uniformly random directions in R^d, each scaled so that |φ(k)|₂ = 1 — DPFP is homogeneous of degree 2, so
/// k/√|φ(k)| does it. The memory's real keys are the φ(k), and only with |φ(k)| = 1 does a full delta write store v
/// exactly (W φ(k) = v right after the write); a unit k would not give that. The memory is therefore not normalised
/// (no z, no φ/Σφ), and only DPFP maps are offered. Values: random unit vectors in R^m.</para>
/// <para>Sum rule: y = Σ_j v_j φ_jᵀφ_i = v_i + Σ_{j≠i} v_j φ_jᵀφ_i, crosstalk from every other pair (DPFP features are
/// non-negative, so φ_jᵀφ_i is rarely 0). Delta rule: each write first removes what the memory already returns for
/// its key, so a pair's own past crosstalk is erased; later writes still disturb it by (v_j − W φ_j) φ_jᵀφ_i.</para>
/// </remarks>
internal static class CapacityExperiment
{
    /// <summary>Measures every (map, rule, n) of <paramref name="settings"/>, maps outer, then sum before delta, then n.</summary>
    /// <param name="accelerator">Where the layer runs.</param>
    /// <param name="settings">What to measure (validated here).</param>
    public static IReadOnlyList<CapacityPoint> Run(Accelerator accelerator, CapacitySettings settings)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var points = new List<CapacityPoint>();
        foreach (var map in settings.Maps)
            foreach (var rule in new[] { UpdateRule.Sum, UpdateRule.Delta })
            {
                var options = new LinearFastWeightOptions
                {
                    Heads = 1, KeySize = settings.KeySize, ValueSize = settings.ValueSize, FeatureMap = map, Rule = rule, Normalize = false,
                };
                using var layer = new LinearFastWeightLayer(accelerator, options);
                foreach (int n in settings.PairCounts)
                    points.Add(Measure(layer, settings, n));
            }
        return points;
    }

    /// <summary>
    /// What the largest point of <paramref name="settings"/> allocates (validated settings): host bytes (the keys, values,
    /// the T-step q, k, v, β and the y read back, float32) and device bytes (the same tensors uploaded, y, W_T, and the
    /// layer's workspace, <see cref="LinearFastWeightLayer.WorkspaceBytes(LinearFastWeightOptions, int, int)"/>), over
    /// every map and rule. long.MaxValue when a count overflows 64 bits.
    /// </summary>
    public static (long Host, long Device) Bytes(CapacitySettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        long host = 0, device = 0;
        try
        {
            checked
            {
                long B = settings.Trials, d = settings.KeySize, m = settings.ValueSize, n = settings.PairCounts.Max(), T = 2 * n;
                foreach (var map in settings.Maps)
                    foreach (var rule in new[] { UpdateRule.Sum, UpdateRule.Delta })
                    {
                        var options = new LinearFastWeightOptions
                        {
                            Heads = 1, KeySize = settings.KeySize, ValueSize = settings.ValueSize, FeatureMap = map, Rule = rule, Normalize = false,
                        };
                        long D = options.FeatureSize();
                        long tensors = 4 * (2 * B * T * d + 2 * B * T * m + (rule == UpdateRule.Delta ? B * T : 0));
                        long h = 4 * (B * n * d + B * n * m) + tensors;
                        // A workspace for T > int.MaxValue cannot even be asked for: count it as not fitting.
                        long workspace = T > int.MaxValue || B > int.MaxValue ? long.MaxValue
                            : LinearFastWeightLayer.WorkspaceBytes(options, (int)B, (int)T);
                        long dev = tensors + 4 * B * m * D + workspace;
                        host = Math.Max(host, h);
                        device = Math.Max(device, dev);
                    }
            }
        }
        catch (OverflowException)
        {
            return (long.MaxValue, long.MaxValue);
        }
        return (host, device);
    }

    private static CapacityPoint Measure(LinearFastWeightLayer layer, CapacitySettings s, int n)
    {
        int B = s.Trials, T = 2 * n, d = s.KeySize, m = s.ValueSize;
        var map = layer.Options.FeatureMap;
        bool delta = layer.Options.Rule == UpdateRule.Delta;
        // The same pairs for both rules (seeded by map, n), so the two curves differ by the rule alone.
        var rng = new Random(unchecked(s.Seed * 1_000_003 + (int)map * 10_007 + n) & int.MaxValue); // HashCode.Combine is salted per process
        var keys = new float[B * n * d];
        var values = new float[B * n * m];
        for (int i = 0; i < B * n; i++)
        {
            UnitFeatureKey(rng, map, keys.AsSpan(i * d, d));
            UnitVector(rng, values.AsSpan(i * m, m));
        }

        var q = new float[B * T * d];
        var k = new float[B * T * d];
        var v = new float[B * T * m];
        var beta = delta ? new float[B * T] : null;
        for (int b = 0; b < B; b++)
            for (int i = 0; i < n; i++)
            {
                long pair = (long)b * n + i, write = (long)b * T + i, read = (long)b * T + n + i;
                keys.AsSpan((int)(pair * d), d).CopyTo(k.AsSpan((int)(write * d), d));
                values.AsSpan((int)(pair * m), m).CopyTo(v.AsSpan((int)(write * m), m));
                keys.AsSpan((int)(pair * d), d).CopyTo(q.AsSpan((int)(read * d), d));
                if (beta is not null)
                {
                    beta[write] = CapacitySettings.WriteLogit;
                    beta[read] = -CapacitySettings.WriteLogit;
                }
            }
        var y = LinearFastWeightHost.Run(layer, new LinearFastWeightHostInputs { Batch = B, Time = T, Q = q, K = k, V = v, Beta = beta }).Y;

        double squaredError = 0;
        int retrieved = 0;
        for (int b = 0; b < B; b++)
            for (int i = 0; i < n; i++)
            {
                var output = y.AsSpan((int)(((long)b * T + n + i) * m), m);
                int nearest = -1;
                double nearestDistance = double.PositiveInfinity;
                for (int j = 0; j < n; j++)
                {
                    double distance = SquaredDistance(output, values.AsSpan((b * n + j) * m, m));
                    if (j == i) squaredError += distance;
                    if (distance < nearestDistance) (nearest, nearestDistance) = (j, distance);
                }
                if (nearest == i) retrieved++;
            }
        return new CapacityPoint(map, layer.Options.Rule, layer.FeatureSize, n, squaredError / (B * n), (double)retrieved / (B * n));
    }

    private static double SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        return sum;
    }

    /// <summary>A uniformly random direction (normalised Gaussian vector) written into <paramref name="target"/>.</summary>
    public static void UnitVector(Random rng, Span<float> target)
    {
        double norm;
        var g = new double[target.Length];
        do
        {
            for (int i = 0; i < g.Length; i++) g[i] = Gaussian(rng);
            norm = Math.Sqrt(g.Sum(x => x * x));
        } while (norm < 1e-6);
        for (int i = 0; i < g.Length; i++) target[i] = (float)(g[i] / norm);
    }

    /// <summary>A random key direction scaled so that |φ(k)|₂ = 1 (redrawn in the rare case φ(k) = 0).</summary>
    public static void UnitFeatureKey(Random rng, FeatureMap map, Span<float> key)
    {
        double norm;
        do
        {
            UnitVector(rng, key);
            norm = FeatureNorm(map, key);
        } while (norm < 1e-6);
        // φ is homogeneous of degree 2: φ(c·k) = c²φ(k).
        float scale = (float)(1.0 / Math.Sqrt(norm));
        for (int i = 0; i < key.Length; i++) key[i] *= scale;
    }

    /// <summary>
    /// |φ(k)|₂ for DPFP-ν: with r = ReLU([k, −k]) (size 2d), |φ|² = Σ_{s=1..ν} Σ_p r_p² r_{(p−s) mod 2d}² (the direction of
    /// the roll does not change the norm).
    /// </summary>
    public static double FeatureNorm(FeatureMap map, ReadOnlySpan<float> key)
    {
        int d = key.Length, n = 2 * d, nu = map.DpfpOrder();
        var r = new double[n];
        for (int p = 0; p < d; p++)
        {
            r[p] = Math.Max(0.0, key[p]);
            r[p + d] = Math.Max(0.0, -key[p]);
        }
        double sum = 0;
        for (int s = 1; s <= nu; s++)
            for (int p = 0; p < n; p++)
            {
                double f = r[p] * r[((p - s) % n + n) % n];
                sum += f * f;
            }
        return Math.Sqrt(sum);
    }

    private static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
