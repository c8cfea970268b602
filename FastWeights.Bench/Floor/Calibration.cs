using System.Diagnostics;
using FastWeights.Kernels.Core;
using FastWeights.Kernels.Host;
using ILGPU;
using ILGPU.Runtime;

namespace FastWeights.Bench.Floor;

/// <summary>
/// Two rates of an accelerator that bound what any kernel of this project can do there, measured with the
/// smallest kernels that show them: the cost of one launch (an empty kernel, launch + wait) and the rate at which
/// <c>threads</c> threads each run matrix–vector products over their own H×H floats in device memory (the inner loop
/// of every product of the layer), with independent accumulators so that the rate is the best this back end reaches.
/// </summary>
internal static class Calibration
{
    /// <summary>Median milliseconds of one launch of an empty kernel followed by a wait for the stream.</summary>
    public static double LaunchMs(Accelerator accelerator, int repeat)
    {
        var kernel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>>(Empty);
        using var buffer = accelerator.Allocate1D<float>(1);
        kernel(1, buffer.View);
        accelerator.Synchronize();
        var times = new List<double>();
        for (int r = 0; r < repeat; r++)
        {
            var sw = Stopwatch.StartNew();
            kernel(1, buffer.View);
            accelerator.Synchronize();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>
    /// Multiply–adds per second summed over <paramref name="threads"/> threads, each running <paramref name="passes"/>
    /// passes over its own H×H matrix (best of <paramref name="repeat"/>): the faster of the layer's two loop kinds,
    /// a matrix–vector product (a reduction per row) and a rank-one update (no reduction), so that the rate bounds both.
    /// </summary>
    public static double MacsPerSecond(Accelerator accelerator, int threads, int hidden, int passes, int repeat) =>
        Math.Max(Rate(accelerator, MatrixVector, threads, hidden, passes, repeat),
                 Rate(accelerator, RankOneUpdate, threads, hidden, passes, repeat));

    private static double Rate(Accelerator accelerator, Action<Index1D, ArrayView<float>, ArrayView<float>, int, int> body,
        int threads, int hidden, int passes, int repeat)
    {
        var kernel = accelerator.LoadAutoGroupedStreamKernel(body);
        using var matrices = accelerator.Allocate1D<float>((long)threads * hidden * hidden);
        using var vectors = accelerator.Allocate1D<float>((long)threads * 2 * hidden);
        matrices.MemSetToZero();
        vectors.MemSetToZero();
        kernel(threads, matrices.View, vectors.View, hidden, 1);
        accelerator.Synchronize();
        double best = double.MaxValue;
        for (int r = 0; r < repeat; r++)
        {
            var sw = Stopwatch.StartNew();
            kernel(threads, matrices.View, vectors.View, hidden, passes);
            accelerator.Synchronize();
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return (double)threads * hidden * hidden * passes / best;
    }

    /// <summary>M ← 0.95·M + 0.5·a·aᵀ, <paramref name="passes"/> times: the loop of the fast-weight update and the rebuild.</summary>
    private static void RankOneUpdate(Index1D index, ArrayView<float> matrices, ArrayView<float> vectors, int hidden, int passes)
    {
        int q = index;
        long h = hidden;
        var m = matrices.SubView(q * h * h, h * h);
        var a = vectors.SubView(q * 2 * h, h);
        for (int p = 0; p < passes; p++)
            for (int i = 0; i < hidden; i++)
            {
                float scaled = 0.5f * a[i];
                for (int j = 0; j < hidden; j++)
                    m[i * h + j] = 0.95f * m[i * h + j] + scaled * a[j];
            }
    }

    private static void Empty(Index1D index, ArrayView<float> data)
    {
        if (index == 0 && data[0] > 1e30f) data[0] = 0f; // never true; keeps the kernel from being empty IR
    }

    /// <summary>out = M·in, <paramref name="passes"/> times, ping-ponging the two vectors so each pass depends on the last.</summary>
    private static void MatrixVector(Index1D index, ArrayView<float> matrices, ArrayView<float> vectors, int hidden, int passes)
    {
        int q = index;
        long h = hidden;
        var m = matrices.SubView(q * h * h, h * h);
        var a = vectors.SubView(q * 2 * h, h);
        var b = vectors.SubView(q * 2 * h + h, h);
        for (int p = 0; p < passes; p++)
        {
            for (int i = 0; i < hidden; i++)
            {
                // Four independent accumulators: the best this back end does with a dot product (a single
                // accumulator chains every add on the previous one), so the rate is an upper bound for the layer's loops.
                float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
                int j = 0;
                for (; j + 3 < hidden; j += 4)
                {
                    s0 += m[i * h + j] * a[j];
                    s1 += m[i * h + j + 1] * a[j + 1];
                    s2 += m[i * h + j + 2] * a[j + 2];
                    s3 += m[i * h + j + 3] * a[j + 3];
                }
                for (; j < hidden; j++)
                    s0 += m[i * h + j] * a[j];
                b[i] = (s0 + s1) + (s2 + s3);
            }
            var swap = a; a = b; b = swap;
        }
    }

    /// <summary>
    /// Host execution (<see cref="HostExecution"/>): median milliseconds of one fork–join of the thread pool over the cores
    /// with an empty body — what a host "launch" costs in place of the simulator's launch.
    /// </summary>
    public static double HostDispatchMs(int repeat)
    {
        var times = new List<double>();
        for (int r = 0; r < repeat + 1; r++)
        {
            var sw = Stopwatch.StartNew();
            HostExecution.For(Environment.ProcessorCount, _ => { });
            if (r > 0) times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>
    /// Host execution: multiply–adds per second summed over <paramref name="threads"/> sequences spread over the cores,
    /// each running <paramref name="passes"/> matrix–vector products over its own H×H floats in CPU-accelerator memory
    /// with the kernel the host sweeps use for A·h and W·h (<c>HostMatrixMath.Product</c>, SIMD, four rows per pass over
    /// the vector), each pass depending on the last (best of <paramref name="repeat"/>).
    /// </summary>
    public static double HostMacsPerSecond(Accelerator accelerator, int threads, int hidden, int passes, int repeat)
    {
        using var matrices = accelerator.Allocate1D<float>((long)threads * hidden * hidden);
        using var vectors = accelerator.Allocate1D<float>((long)threads * 2 * hidden);
        matrices.MemSetToZero();
        vectors.MemSetToZero();
        var m = matrices.View;
        var v = vectors.View;
        void Run(int count) => HostExecution.For(threads, q =>
        {
            long h = hidden;
            var matrix = HostVectorMath.Run(m, q * h * h, hidden * hidden);
            var a = HostVectorMath.Run(v, q * 2 * h, hidden);
            var b = HostVectorMath.Run(v, q * 2 * h + h, hidden);
            for (int p = 0; p < count; p++)
            {
                HostMatrixMath.Product(matrix, a, b, hidden, accumulate: false);
                var swap = a; a = b; b = swap;
            }
        });
        Run(1);
        double best = double.MaxValue;
        for (int r = 0; r < repeat; r++)
        {
            var sw = Stopwatch.StartNew();
            Run(passes);
            best = Math.Min(best, sw.Elapsed.TotalSeconds);
        }
        return (double)threads * hidden * hidden * passes / best;
    }
}
