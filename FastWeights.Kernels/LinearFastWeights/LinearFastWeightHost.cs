using ILGPU;
using ILGPU.Runtime;

namespace FastWeights.Kernels.LinearFastWeights;

/// <summary>Host arrays for one call of <see cref="LinearFastWeightHost.Run"/>; shapes as in <see cref="LinearFastWeightLayer"/>.</summary>
public sealed class LinearFastWeightHostInputs
{
    /// <summary>B ≥ 1.</summary>
    public required int Batch { get; init; }
    /// <summary>T ≥ 1.</summary>
    public required int Time { get; init; }
    /// <summary>q [B,T,heads,d].</summary>
    public required float[] Q { get; init; }
    /// <summary>k [B,T,heads,d].</summary>
    public required float[] K { get; init; }
    /// <summary>v [B,T,heads,m].</summary>
    public required float[] V { get; init; }
    /// <summary>β logits [B,T,heads]; delta rule only (null for the sum rule).</summary>
    public float[]? Beta { get; init; }
    /// <summary>W0 [B,heads,m,d'], or null for zeros.</summary>
    public float[]? W0 { get; init; }
    /// <summary>z0 [B,heads,d'], or null for zeros (normalised sum rule only).</summary>
    public float[]? Z0 { get; init; }
    /// <summary>dL/dy [B,T,heads,m]; when null only the forward runs.</summary>
    public float[]? Dy { get; init; }
    /// <summary>dL/dWT, or null for zeros.</summary>
    public float[]? DwT { get; init; }
    /// <summary>dL/dzT, or null for zeros (normalised sum rule only).</summary>
    public float[]? DzT { get; init; }
}

/// <summary>Results of <see cref="LinearFastWeightHost.Run"/>; gradients are null when no dy was given, ZT/DZ0/DBeta when unused.</summary>
public sealed class LinearFastWeightHostResult
{
    /// <summary>y [B,T,heads,m].</summary>
    public required float[] Y { get; init; }
    /// <summary>WT [B,heads,m,d'].</summary>
    public required float[] WT { get; init; }
    /// <summary>zT [B,heads,d'] (normalised sum rule only).</summary>
    public float[]? ZT { get; init; }
    /// <summary>dq [B,T,heads,d].</summary>
    public float[]? DQ { get; init; }
    /// <summary>dk [B,T,heads,d].</summary>
    public float[]? DK { get; init; }
    /// <summary>dv [B,T,heads,m].</summary>
    public float[]? DV { get; init; }
    /// <summary>dβ [B,T,heads] (delta rule only).</summary>
    public float[]? DBeta { get; init; }
    /// <summary>dW0 [B,heads,m,d'].</summary>
    public float[]? DW0 { get; init; }
    /// <summary>dz0 [B,heads,d'] (normalised sum rule only).</summary>
    public float[]? DZ0 { get; init; }
}

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
            if (inputs.Dy is null)
            {
                stream.Synchronize();
                return new LinearFastWeightHostResult { Y = y.GetAsArray(stream), WT = wT.GetAsArray(stream), ZT = keepsZ ? zT.GetAsArray(stream) : null };
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
                DZ0 = keepsZ ? dz0.GetAsArray(stream) : null,
            };
        }
        finally
        {
            foreach (var b in owned) b.Dispose();
        }
    }
}
