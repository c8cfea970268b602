namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>Host arrays for one forward (and optionally backward) call; shapes as in <see cref="FastWeightRnnLayer"/>.</summary>
public sealed class FastWeightRnnHostInputs
{
    /// <summary>B ≥ 1.</summary>
    public required int Batch { get; init; }
    /// <summary>T ≥ 1.</summary>
    public required int Time { get; init; }
    /// <summary>x [B,T,I].</summary>
    public required float[] X { get; init; }
    /// <summary>h0 [B,H], or null for zeros.</summary>
    public float[]? H0 { get; init; }
    /// <summary>A0 [B,H,H], or null for zeros.</summary>
    public float[]? A0 { get; init; }
    /// <summary>W [H,H].</summary>
    public required float[] W { get; init; }
    /// <summary>C [H,I].</summary>
    public required float[] C { get; init; }
    /// <summary>b [H].</summary>
    public required float[] B { get; init; }
    /// <summary>Layer-norm gain g [H].</summary>
    public required float[] LnGain { get; init; }
    /// <summary>Layer-norm shift β [H].</summary>
    public required float[] LnBias { get; init; }
    /// <summary>dL/dy [B,T,H]; when null only the forward runs.</summary>
    public float[]? Dy { get; init; }
    /// <summary>dL/dhT [B,H], or null for zeros.</summary>
    public float[]? DhT { get; init; }
    /// <summary>dL/dAT [B,H,H], or null for zeros.</summary>
    public float[]? DAT { get; init; }
}

/// <summary>Results of <see cref="FastWeightRnnHost.Run"/>; the gradients are null when no dy was given.</summary>
public sealed class FastWeightRnnHostResult
{
    /// <summary>y [B,T,H].</summary>
    public required float[] Y { get; init; }
    /// <summary>hT [B,H].</summary>
    public required float[] HT { get; init; }
    /// <summary>AT [B,H,H].</summary>
    public required float[] AT { get; init; }
    /// <summary>dx [B,T,I].</summary>
    public float[]? DX { get; init; }
    /// <summary>dh0 [B,H].</summary>
    public float[]? DH0 { get; init; }
    /// <summary>dA0 [B,H,H].</summary>
    public float[]? DA0 { get; init; }
    /// <summary>dW [H,H].</summary>
    public float[]? DW { get; init; }
    /// <summary>dC [H,I].</summary>
    public float[]? DC { get; init; }
    /// <summary>db [H].</summary>
    public float[]? DB { get; init; }
    /// <summary>dg [H].</summary>
    public float[]? DLnGain { get; init; }
    /// <summary>dβ [H].</summary>
    public float[]? DLnBias { get; init; }

    /// <summary>Bytes of the workspace the call allocated (<see cref="FastWeightRnnWorkspace.AllocatedBytes"/>).</summary>
    public long WorkspaceBytes { get; init; }

    /// <summary>Recurrence steps the backward replayed (<see cref="FastWeightRnnWorkspace.RecomputedSteps"/>); 0 without a backward.</summary>
    public long RecomputedSteps { get; init; }
}

/// <summary>
/// The host-array convenience path: copies arrays to the layer's accelerator, runs forward (and
/// backward when dy is given) on the default stream, copies the results back. For embedding in a
/// GPU app use <see cref="FastWeightRnnLayer"/> directly on device views instead.
/// </summary>
public static class FastWeightRnnHost
{
    /// <summary>Runs one call.</summary>
    /// <param name="layer">The layer (and through it, the accelerator).</param>
    /// <param name="inputs">Host arrays; checked for shape, and for NaN/Inf when <paramref name="checkFinite"/>.</param>
    /// <param name="checkFinite">Reject NaN/±Inf in any input (on the host, before anything is copied). Default true.</param>
    /// <exception cref="ArgumentException">An array has the wrong length or (with <paramref name="checkFinite"/>) a NaN/Inf; the message names it.</exception>
    public static FastWeightRnnHostResult Run(FastWeightRnnLayer layer, FastWeightRnnHostInputs inputs, bool checkFinite = true)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(inputs);
        int B = inputs.Batch, T = inputs.Time, H = layer.Options.HiddenSize, I = layer.Options.InputSize;
        HostBuffers.CheckBatchAndTime(B, T);
        Check(inputs.X, nameof(inputs.X), (long)B * T * I, checkFinite, true);
        Check(inputs.H0, nameof(inputs.H0), (long)B * H, checkFinite, false);
        Check(inputs.A0, nameof(inputs.A0), (long)B * H * H, checkFinite, false);
        Check(inputs.W, nameof(inputs.W), (long)H * H, checkFinite, true);
        Check(inputs.C, nameof(inputs.C), (long)H * I, checkFinite, true);
        Check(inputs.B, nameof(inputs.B), H, checkFinite, true);
        Check(inputs.LnGain, nameof(inputs.LnGain), H, checkFinite, true);
        Check(inputs.LnBias, nameof(inputs.LnBias), H, checkFinite, true);
        Check(inputs.Dy, nameof(inputs.Dy), (long)B * T * H, checkFinite, false);
        Check(inputs.DhT, nameof(inputs.DhT), (long)B * H, checkFinite, false);
        Check(inputs.DAT, nameof(inputs.DAT), (long)B * H * H, checkFinite, false);
        if (inputs.Dy is null && (inputs.DhT is not null || inputs.DAT is not null))
            throw new ArgumentException("DhT/DAT were given without Dy; give Dy (zeros if need be) to run the backward.", nameof(inputs.Dy));

        var acc = layer.Accelerator;
        var stream = acc.DefaultStream;
        using var buffers = new HostBuffers(acc);
        var x = buffers.Upload(inputs.X);
        var parameters = new FastWeightRnnParameters(buffers.Upload(inputs.W), buffers.Upload(inputs.C), buffers.Upload(inputs.B), buffers.Upload(inputs.LnGain), buffers.Upload(inputs.LnBias));
        var h0 = buffers.Upload(inputs.H0);
        var a0 = buffers.Upload(inputs.A0);
        var y = buffers.Alloc((long)B * T * H);
        var hT = buffers.Alloc((long)B * H);
        var aT = buffers.Alloc((long)B * H * H);
        using var workspace = layer.CreateWorkspace(B, T);
        layer.Forward(stream, workspace, y, hT, aT, x, h0, a0, parameters, B, T);
        if (inputs.Dy is null)
        {
            stream.Synchronize();
            return new FastWeightRnnHostResult
            {
                Y = y.GetAsArray(stream), HT = hT.GetAsArray(stream), AT = aT.GetAsArray(stream), WorkspaceBytes = workspace.AllocatedBytes,
            };
        }

        var dx = buffers.Alloc((long)B * T * I);
        var dh0 = buffers.Alloc((long)B * H);
        var dA0 = buffers.Alloc((long)B * H * H);
        var grads = new FastWeightRnnParameterGradients(buffers.Alloc((long)H * H), buffers.Alloc((long)H * I), buffers.Alloc(H), buffers.Alloc(H), buffers.Alloc(H));
        layer.Backward(stream, workspace, dx, dh0, dA0, grads, buffers.Upload(inputs.Dy), buffers.Upload(inputs.DhT), buffers.Upload(inputs.DAT), x, parameters, B, T);
        stream.Synchronize();
        return new FastWeightRnnHostResult
        {
            Y = y.GetAsArray(stream), HT = hT.GetAsArray(stream), AT = aT.GetAsArray(stream),
            DX = dx.GetAsArray(stream), DH0 = dh0.GetAsArray(stream), DA0 = dA0.GetAsArray(stream),
            DW = grads.DW.GetAsArray(stream), DC = grads.DC.GetAsArray(stream), DB = grads.DB.GetAsArray(stream),
            DLnGain = grads.DLnGain.GetAsArray(stream), DLnBias = grads.DLnBias.GetAsArray(stream),
            WorkspaceBytes = workspace.AllocatedBytes, RecomputedSteps = workspace.RecomputedSteps,
        };
    }

    private static void Check(float[]? data, string name, long length, bool checkFinite, bool required)
    {
        if (data is null)
        {
            if (required) throw new ArgumentNullException(name, $"{name} is required.");
            return;
        }
        if (data.LongLength != length)
            throw new ArgumentException($"{name} must have {length} elements, but has {data.LongLength}.", name);
        if (checkFinite)
            for (long k = 0; k < data.LongLength; k++)
                if (!float.IsFinite(data[k]))
                    throw new ArgumentException($"{name} contains a NaN or infinite value at index {k}.", name);
    }
}
