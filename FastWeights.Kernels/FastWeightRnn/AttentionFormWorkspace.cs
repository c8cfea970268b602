namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// Workspace of <see cref="AttentionFormRnn"/>: the vector tape of the fused layer, a copy of A0 (the only
/// H×H buffer) and one [B,T,H] buffer for the gradients reaching earlier outer states through the
/// attention sums (docs/baselines.md §2). No A(t) is ever stored.
/// </summary>
public sealed class AttentionFormWorkspace : TapeWorkspace
{
    internal AttentionFormWorkspace(Accelerator accelerator, int maxBatch, int maxTime, int hidden, int innerSteps)
        : base(accelerator, maxBatch, maxTime, hidden, innerSteps, AttentionFormRnn.Elements(maxBatch, maxTime, hidden, innerSteps))
    {
        var e = Elements;
        try
        {
            HistoryGrad = Allocate(e[5]);
            InitialFastWeights = Allocate(e[6]);
            Vectors = Allocate(e[7]);
            LayerNormGrad = Allocate(e[8]);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    internal ArrayView<float> HistoryGrad { get; }    // [B,T,H] gradient reaching h_τ through later steps' A(t)
    internal ArrayView<float> InitialFastWeights { get; } // [B,H,H] the forward's A0 (valid when ForwardHadA0)
    internal ArrayView<float> Vectors { get; }        // [B,3,H]
    internal ArrayView<float> LayerNormGrad { get; }  // [B,2,H]

    /// <summary>Whether the last forward had an A0 (copied into InitialFastWeights).</summary>
    internal bool ForwardHadA0 { get; set; }
}
