using ILGPU;
using ILGPU.Runtime;

namespace FastWeights.Kernels.LinearFastWeights;

/// <summary>
/// The host-array convenience path: copies arrays to the layer's accelerator, runs forward (and backward when dy is
/// given) on the default stream, copies the results back. Shape and option checks are the layer's own (the exception
/// names the layer's argument, e.g. "q"). For GPU applications use <see cref="LinearFastWeightLayer"/> on device views.
/// </summary>
public static class LinearFastWeightHost
{
    /// <summary>Runs one call.</summary>
    /// <param name="layer">The layer (and through it, the accelerator).</param>
    /// <param name="inputs">Host arrays.</param>
    /// <exception cref="ArgumentException">An array has the wrong length or is given where unused (from the layer).</exception>
    public static LinearFastWeightHostResult Run(LinearFastWeightLayer layer, LinearFastWeightHostInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(inputs);
        var o = layer.Options;
        int B = inputs.Batch, T = inputs.Time, D = layer.FeatureSize;
        if (B < 1) throw new ArgumentOutOfRangeException(nameof(inputs.Batch), B, "Batch must be ≥ 1.");
        if (T < 1) throw new ArgumentOutOfRangeException(nameof(inputs.Time), T, "Time must be ≥ 1.");
        if (inputs.Dy is null && (inputs.DwT is not null || inputs.DzT is not null))
            throw new ArgumentException("DwT/DzT were given without Dy; give Dy (zeros if need be) to run the backward.", nameof(inputs.Dy));
        bool delta = o.Rule == UpdateRule.Delta, keepsZ = o.KeepsNormalizer;
        long keys = (long)B * T * o.Heads * o.KeySize, values = (long)B * T * o.Heads * o.ValueSize;
        long memory = (long)B * o.Heads * o.ValueSize * D, normalizer = (long)B * o.Heads * D;

        var acc = layer.Accelerator;
        var stream = acc.DefaultStream;
        var owned = new List<MemoryBuffer>();
        try
        {
            ArrayView<float> Upload(float[]? data)
            {
                if (data is null) return default;
                var buffer = acc.Allocate1D(data);
                owned.Add(buffer);
                return buffer.View;
            }
            ArrayView<float> Alloc(long n, bool wanted = true)
            {
                if (!wanted) return default;
                var buffer = acc.Allocate1D<float>(n);
                owned.Add(buffer);
                return buffer.View;
            }

            var q = Upload(inputs.Q);
            var k = Upload(inputs.K);
            var v = Upload(inputs.V);
            var beta = Upload(inputs.Beta);
            var w0 = Upload(inputs.W0);
            var z0 = Upload(inputs.Z0);
            var y = Alloc(values);
            var wT = Alloc(memory);
            var zT = Alloc(normalizer, keepsZ);
            using var workspace = layer.CreateWorkspace(B, T);
            layer.Forward(stream, workspace, y, wT, zT, q, k, v, beta, w0, z0, B, T);
            int anchors = workspace.ReadAnchorsNeeded(stream).Max();
            if (inputs.Dy is null)
            {
                stream.Synchronize();
                return new LinearFastWeightHostResult
                {
                    Y = y.GetAsArray(stream), WT = wT.GetAsArray(stream), ZT = keepsZ ? zT.GetAsArray(stream) : null, AnchorsNeeded = anchors,
                };
            }

            var dq = Alloc(keys);
            var dk = Alloc(keys);
            var dv = Alloc(values);
            var dbeta = Alloc((long)B * T * o.Heads, delta);
            var dw0 = Alloc(memory);
            var dz0 = Alloc(normalizer, keepsZ);
            layer.Backward(stream, workspace, dq, dk, dv, dbeta, dw0, dz0,
                Upload(inputs.Dy), Upload(inputs.DwT), Upload(inputs.DzT), q, k, v, beta, w0, z0, B, T);
            stream.Synchronize();
            return new LinearFastWeightHostResult
            {
                Y = y.GetAsArray(stream), WT = wT.GetAsArray(stream), ZT = keepsZ ? zT.GetAsArray(stream) : null,
                DQ = dq.GetAsArray(stream), DK = dk.GetAsArray(stream), DV = dv.GetAsArray(stream),
                DBeta = delta ? dbeta.GetAsArray(stream) : null, DW0 = dw0.GetAsArray(stream),
                DZ0 = keepsZ ? dz0.GetAsArray(stream) : null, AnchorsNeeded = anchors,
            };
        }
        finally
        {
            foreach (var b in owned) b.Dispose();
        }
    }
}
