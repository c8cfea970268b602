using FastWeights.Kernels.LinearFastWeights;
using ILGPU;
using ILGPU.Runtime;

namespace FastWeights.Bench.Benchmarks;

/// <summary>
/// Device tensors of one <see cref="LinearFastWeightBenchmarks"/> case: inputs q, k, v, β (deterministic, from
/// System.Random(1)), dy, and the outputs and gradients both variants write. W0 and z0 are empty (zeros).
/// </summary>
internal sealed class LinearBenchmarkTensors : IDisposable
{
    private readonly List<MemoryBuffer> buffers = [];

    public LinearBenchmarkTensors(Accelerator accelerator, LinearFastWeightOptions options, int batch, int time)
    {
        var rng = new Random(1);
        ArrayView<float> Random(long n, float scale)
        {
            var data = new float[n];
            for (long i = 0; i < n; i++) data[i] = scale * (2f * (float)rng.NextDouble() - 1f);
            var buffer = accelerator.Allocate1D(data);
            buffers.Add(buffer);
            return buffer.View;
        }
        ArrayView<float> Zeros(long n, bool wanted = true)
        {
            if (!wanted) return default;
            var buffer = accelerator.Allocate1D<float>(n);
            buffer.MemSetToZero();
            buffers.Add(buffer);
            return buffer.View;
        }
        bool delta = options.Rule == UpdateRule.Delta;
        long rows = (long)batch * time * options.Heads;
        long keys = rows * options.KeySize, values = rows * options.ValueSize;
        long memory = (long)batch * options.Heads * options.ValueSize * options.FeatureSize();
        long normalizer = (long)batch * options.Heads * options.FeatureSize();
        Q = Random(keys, 1f);
        K = Random(keys, 1f);
        V = Random(values, 1f);
        Beta = delta ? Random(rows, 2f) : default;
        Dy = Random(values, 1f);
        Y = Zeros(values);
        WT = Zeros(memory);
        ZT = Zeros(normalizer, options.KeepsNormalizer);
        Dq = Zeros(keys);
        Dk = Zeros(keys);
        Dv = Zeros(values);
        DBeta = Zeros(rows, delta);
        Dw0 = Zeros(memory);
    }

    public ArrayView<float> Q { get; }
    public ArrayView<float> K { get; }
    public ArrayView<float> V { get; }
    public ArrayView<float> Beta { get; }
    public ArrayView<float> Dy { get; }
    public ArrayView<float> Y { get; }
    public ArrayView<float> WT { get; }
    public ArrayView<float> ZT { get; }
    public ArrayView<float> Dq { get; }
    public ArrayView<float> Dk { get; }
    public ArrayView<float> Dv { get; }
    public ArrayView<float> DBeta { get; }
    public ArrayView<float> Dw0 { get; }

    public void Dispose()
    {
        foreach (var b in buffers) b.Dispose();
        buffers.Clear();
    }
}
