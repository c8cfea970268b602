namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>Which optional views of a fast-weight backward are present.</summary>
internal readonly record struct FastWeightRnnBackwardViews(bool HasDx, bool HasDh0, bool HasDA0, bool HasDhT, bool HasDAT);

/// <summary>
/// The view checks of one fast-weight forward or backward (docs/design.md §7), written once for the fused layer and
/// both baselines: every view's length, shape and accelerator, in the same order, with the same messages and names.
/// The caller checks the stream and the workspace first.
/// </summary>
internal static class FastWeightRnnViews
{
    /// <summary>Every view of a forward; returns which optional inputs are present.</summary>
    public static (bool HasH0, bool HasA0) CheckForward(Accelerator accelerator, FastWeightRnnOptions options,
        ArrayView<float> y, ArrayView<float> hT, ArrayView<float> aT,
        ArrayView<float> x, ArrayView<float> h0, ArrayView<float> a0,
        FastWeightRnnParameters parameters, int batch, int time)
    {
        int H = options.HiddenSize, I = options.InputSize;
        long bh = (long)batch * H, bhh = bh * H, bth = (long)batch * time * H;
        ViewChecks.Required(y, nameof(y), bth, $"[B={batch},T={time},H={H}]", accelerator);
        ViewChecks.Required(hT, nameof(hT), bh, $"[B={batch},H={H}]", accelerator);
        ViewChecks.Required(aT, nameof(aT), bhh, $"[B={batch},H={H},H={H}]", accelerator);
        ViewChecks.Required(x, nameof(x), (long)batch * time * I, $"[B={batch},T={time},I={I}]", accelerator);
        bool hasH0 = ViewChecks.Optional(h0, nameof(h0), bh, $"[B={batch},H={H}]", accelerator);
        bool hasA0 = ViewChecks.Optional(a0, nameof(a0), bhh, $"[B={batch},H={H},H={H}]", accelerator);
        CheckParameters(accelerator, options, parameters);
        return (hasH0, hasA0);
    }

    /// <summary>Every view of a backward; returns which optional views are present.</summary>
    public static FastWeightRnnBackwardViews CheckBackward(Accelerator accelerator, FastWeightRnnOptions options,
        ArrayView<float> dx, ArrayView<float> dh0, ArrayView<float> dA0, FastWeightRnnParameterGradients gradients,
        ArrayView<float> dy, ArrayView<float> dhT, ArrayView<float> dAT,
        ArrayView<float> x, FastWeightRnnParameters parameters, int batch, int time)
    {
        int H = options.HiddenSize, I = options.InputSize;
        long bh = (long)batch * H, bhh = bh * H, bth = (long)batch * time * H, bti = (long)batch * time * I;
        bool hasDx = ViewChecks.Optional(dx, nameof(dx), bti, $"[B={batch},T={time},I={I}]", accelerator);
        bool hasDh0 = ViewChecks.Optional(dh0, nameof(dh0), bh, $"[B={batch},H={H}]", accelerator);
        bool hasDA0 = ViewChecks.Optional(dA0, nameof(dA0), bhh, $"[B={batch},H={H},H={H}]", accelerator);
        CheckWeights(accelerator, options, "D", gradients.DW, gradients.DC, gradients.DB, gradients.DLnGain, gradients.DLnBias);
        ViewChecks.Required(dy, nameof(dy), bth, $"[B={batch},T={time},H={H}]", accelerator);
        bool hasDhT = ViewChecks.Optional(dhT, nameof(dhT), bh, $"[B={batch},H={H}]", accelerator);
        bool hasDAT = ViewChecks.Optional(dAT, nameof(dAT), bhh, $"[B={batch},H={H},H={H}]", accelerator);
        ViewChecks.Required(x, nameof(x), bti, $"[B={batch},T={time},I={I}]", accelerator);
        CheckParameters(accelerator, options, parameters);
        return new FastWeightRnnBackwardViews(hasDx, hasDh0, hasDA0, hasDhT, hasDAT);
    }

    /// <summary>W [H,H], C [H,I], b, g, β [H].</summary>
    public static void CheckParameters(Accelerator accelerator, FastWeightRnnOptions options, FastWeightRnnParameters p) =>
        CheckWeights(accelerator, options, "", p.W, p.C, p.B, p.LnGain, p.LnBias);

    /// <summary>The five weight tensors or their gradients (names prefixed with <paramref name="prefix"/>), in the record's order.</summary>
    private static void CheckWeights(Accelerator accelerator, FastWeightRnnOptions options, string prefix,
        ArrayView<float> w, ArrayView<float> c, ArrayView<float> b, ArrayView<float> lnGain, ArrayView<float> lnBias)
    {
        int H = options.HiddenSize, I = options.InputSize;
        ViewChecks.Required(w, prefix + "W", (long)H * H, $"[H={H},H={H}]", accelerator);
        ViewChecks.Required(c, prefix + "C", (long)H * I, $"[H={H},I={I}]", accelerator);
        ViewChecks.Required(b, prefix + "B", H, $"[H={H}]", accelerator);
        ViewChecks.Required(lnGain, prefix + "LnGain", H, $"[H={H}]", accelerator);
        ViewChecks.Required(lnBias, prefix + "LnBias", H, $"[H={H}]", accelerator);
    }
}
