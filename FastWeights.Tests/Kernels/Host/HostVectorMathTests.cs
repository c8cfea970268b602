using FastWeights.Kernels.Host;

namespace FastWeights.Tests.Kernels.Host;

/// <summary>
/// The two <see cref="IVectorMath"/> implementations against plain float64 loops, on runs at odd offsets and of lengths
/// around the SIMD widths (0, 1, 7, 8, 9, 33, 100, 257). Tolerance for Dot: 1e-6·Σ|x_k y_k| (float32 sums of up to 257
/// terms, rounding error ≤ n·u·Σ|x y| in the worst case, far less in practice); element-wise ops: 2 ulp relative (one or two
/// roundings of each element). <see cref="ScalarVectorMath"/> must also equal the plain float32 loop it replaced, bit for bit.
/// </summary>
public sealed class HostVectorMathTests
{
    private static readonly int[] Lengths = [0, 1, 7, 8, 9, 33, 100, 257];

    private static (MemoryBuffer1D<float, Stride1D.Dense> Buffer, float[] Host) Random(int length, int seed)
    {
        var rng = new Random(seed);
        var host = new float[length];
        for (int i = 0; i < length; i++) host[i] = (float)(2 * rng.NextDouble() - 1);
        var buffer = Devices.Cpu.Accelerator.Allocate1D(host);
        return (buffer, host);
    }

    [Test]
    public void DotMatchesFloat64()
    {
        foreach (int n in Lengths)
        {
            var (x, xs) = Random(n + 5, 1);
            var (y, ys) = Random(n + 3, 2);
            using (x) using (y)
            {
                double exact = 0, scale = 0;
                for (int k = 0; k < n; k++) { exact += (double)xs[5 + k] * ys[3 + k]; scale += Math.Abs((double)xs[5 + k] * ys[3 + k]); }
                float host = default(HostVectorMath).Dot(x.View, 5, y.View, 3, n);
                float scalar = default(ScalarVectorMath).Dot(x.View, 5, y.View, 3, n);
                float plain = 0f;
                for (int k = 0; k < n; k++) plain += xs[5 + k] * ys[3 + k];
                Assert.That(Math.Abs(host - exact), Is.LessThanOrEqualTo(1e-6 * scale + 1e-30), $"host, n = {n}");
                Assert.That(scalar, Is.EqualTo(plain), $"scalar equals the plain loop, n = {n}");
            }
        }
    }

    [Test]
    public void RowUpdatesMatchFloat64()
    {
        foreach (int n in Lengths)
        {
            foreach (var math in new IVectorMath[] { default(HostVectorMath), default(ScalarVectorMath) })
            {
                var (y, ys) = Random(n + 2, 3);
                var (x, xs) = Random(n + 4, 4);
                using (y) using (x)
                {
                    const float a = 0.37f, alpha = 0.95f, beta = -1.25f, divisor = 0.9f;
                    // scale(k): the sum of the magnitudes of the terms, so that a cancelling difference is judged by its inputs.
                    void Check(string op, Func<int, double> expected, Func<int, double> scale)
                    {
                        var got = y.GetAsArray1D();
                        for (int k = 0; k < n; k++)
                        {
                            double e = expected(k);
                            Assert.That(got[2 + k], Is.EqualTo(e).Within(4 * scale(k) * 6e-8 + 1e-12), $"{math.GetType().Name}.{op}, n = {n}, k = {k}");
                        }
                        Assert.That(got[0], Is.EqualTo(ys[0]).And.Not.NaN, $"{op}: nothing before the run is touched");
                        Assert.That(got[1], Is.EqualTo(ys[1]), $"{op}: nothing before the run is touched");
                        y.CopyFromCPU(ys);
                    }
                    math.Axpy(y.View, 2, a, x.View, 4, n);
                    Check("Axpy", k => ys[2 + k] + (double)a * xs[4 + k], k => Math.Abs(ys[2 + k]) + Math.Abs(a * xs[4 + k]));
                    math.ScaleAdd(y.View, 2, alpha, beta, x.View, 4, n);
                    Check("ScaleAdd", k => (double)alpha * ys[2 + k] + (double)beta * xs[4 + k],
                        k => Math.Abs(alpha * ys[2 + k]) + Math.Abs(beta * xs[4 + k]));
                    math.SubtractScaledDivide(y.View, 2, a, x.View, 4, divisor, n);
                    Check("SubtractScaledDivide", k => (ys[2 + k] - (double)a * xs[4 + k]) / divisor,
                        k => (Math.Abs(ys[2 + k]) + Math.Abs(a * xs[4 + k])) / divisor);
                    math.Scale(y.View, 2, alpha, n);
                    Check("Scale", k => (double)alpha * ys[2 + k], k => Math.Abs(alpha * ys[2 + k]));
                    math.Copy(y.View, 2, x.View, 4, n);
                    Check("Copy", k => xs[4 + k], _ => 0);
                    math.Fill(y.View, 2, -3f, n);
                    Check("Fill", _ => -3.0, _ => 0);
                }
            }
        }
    }
}
