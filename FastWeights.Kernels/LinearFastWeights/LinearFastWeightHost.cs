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
        HostBuffers.CheckBatchAndTime(B, T);
        if (inputs.Dy is null && (inputs.DwT is not null || inputs.DzT is not null))
            throw new ArgumentException("DwT/DzT were given without Dy; give Dy (zeros if need be) to run the backward.", nameof(inputs.Dy));
        bool delta = o.Rule == UpdateRule.Delta, keepsZ = o.KeepsNormalizer;
        long keys = (long)B * T * o.Heads * o.KeySize, values = (long)B * T * o.Heads * o.ValueSize;
        long memory = (long)B * o.Heads * o.ValueSize * D, normalizer = (long)B * o.Heads * D;

        var acc = layer.Accelerator;
        var stream = acc.DefaultStream;
        using var buffers = new HostBuffers(acc);
        var q = buffers.Upload(inputs.Q);
        var k = buffers.Upload(inputs.K);
        var v = buffers.Upload(inputs.V);
        var beta = buffers.Upload(inputs.Beta);
        var w0 = buffers.Upload(inputs.W0);
        var z0 = buffers.Upload(inputs.Z0);
        var y = buffers.Alloc(values);
        var wT = buffers.Alloc(memory);
        var zT = buffers.Alloc(normalizer, keepsZ);
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

        var dq = buffers.Alloc(keys);
        var dk = buffers.Alloc(keys);
        var dv = buffers.Alloc(values);
        var dbeta = buffers.Alloc((long)B * T * o.Heads, delta);
        var dw0 = buffers.Alloc(memory);
        var dz0 = buffers.Alloc(normalizer, keepsZ);
        layer.Backward(stream, workspace, dq, dk, dv, dbeta, dw0, dz0,
            buffers.Upload(inputs.Dy), buffers.Upload(inputs.DwT), buffers.Upload(inputs.DzT), q, k, v, beta, w0, z0, B, T);
        stream.Synchronize();
        return new LinearFastWeightHostResult
        {
            Y = y.GetAsArray(stream), WT = wT.GetAsArray(stream), ZT = keepsZ ? zT.GetAsArray(stream) : null,
            DQ = dq.GetAsArray(stream), DK = dk.GetAsArray(stream), DV = dv.GetAsArray(stream),
            DBeta = delta ? dbeta.GetAsArray(stream) : null, DW0 = dw0.GetAsArray(stream),
            DZ0 = keepsZ ? dz0.GetAsArray(stream) : null, AnchorsNeeded = anchors,
        };
    }
}
