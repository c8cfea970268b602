using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Kernels.Baselines;

/// <summary>
/// Workspace of <see cref="PerStepLaunchRnn"/>: the tape of the fused layer plus A stored after every
/// step, as an autograd framework keeps it (docs/baselines.md §1).
/// </summary>
public sealed class PerStepLaunchWorkspace : TapeWorkspace
{
    internal PerStepLaunchWorkspace(Accelerator accelerator, int maxBatch, int maxTime, int hidden, int innerSteps)
        : base(accelerator, maxBatch, maxTime, hidden, innerSteps, PerStepLaunchRnn.Elements(maxBatch, maxTime, hidden, innerSteps))
    {
        var e = Elements;
        try
        {
            FastWeights = Allocate(e[5]);
            Preactivation = Allocate(e[6]);
            FastWeightGrad = Allocate(e[7]);
            Vectors = Allocate(e[8]);
            LayerNormGrad = Allocate(e[9]);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    internal ArrayView<float> FastWeights { get; }    // [B,T+1,H,H] A(0) … A(T)
    internal ArrayView<float> Preactivation { get; }  // [B,H] z of the current step
    internal ArrayView<float> FastWeightGrad { get; } // [B,H,H] Ā
    internal ArrayView<float> Vectors { get; }        // [B,2,H] dh, dv
    internal ArrayView<float> LayerNormGrad { get; }  // [B,2,H]
}
