using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Kernels.Baselines;

/// <summary>
/// Workspace of <see cref="PerStepLaunchRnn"/>: the tape of the fused layer plus A stored after every
/// step, as an autograd framework keeps it (docs/baselines.md §1).
/// </summary>
public sealed class PerStepLaunchWorkspace : TapeWorkspace
{
    internal PerStepLaunchWorkspace(Accelerator accelerator, int maxBatch, int maxTime, int hidden, int innerSteps)
        : base(accelerator, maxBatch, maxTime, hidden, innerSteps)
    {
        var e = PerStepLaunchRnn.Elements(maxBatch, maxTime, hidden, innerSteps);
        try
        {
            Projection = Allocate(e[0]);
            States = Allocate(e[1]);
            InnerStates = Allocate(e[2]);
            Normalized = Allocate(e[3]);
            InverseStd = Allocate(e[4]);
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

    internal ArrayView<float> Projection { get; }     // [B,T,H] u, then dz
    internal ArrayView<float> States { get; }         // [B,T+1,H]
    internal ArrayView<float> InnerStates { get; }    // [B,T,S,H]
    internal ArrayView<float> Normalized { get; }     // [B,T,S,H] v, then x̂ in place
    internal ArrayView<float> InverseStd { get; }     // [B,T,S]
    internal ArrayView<float> FastWeights { get; }    // [B,T+1,H,H] A(0) … A(T)
    internal ArrayView<float> Preactivation { get; }  // [B,H] z of the current step
    internal ArrayView<float> FastWeightGrad { get; } // [B,H,H] Ā
    internal ArrayView<float> Vectors { get; }        // [B,2,H] dh, dv
    internal ArrayView<float> LayerNormGrad { get; }  // [B,2,H]
}
