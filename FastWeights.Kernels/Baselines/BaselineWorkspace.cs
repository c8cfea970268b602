using FastWeights.Kernels.Memory;
using ILGPU;
using ILGPU.Runtime;

namespace FastWeights.Kernels.Baselines;

/// <summary>
/// The device memory of one training call of a baseline layer (<see cref="PerStepLaunchRnn"/> or
/// <see cref="AttentionFormRnn"/>): what the forward stores for the backward and the backward's own
/// scratch. Sized for at most <see cref="MaxBatch"/> × <see cref="MaxTime"/>; create one with the
/// baseline's <c>CreateWorkspace</c>, reuse it across calls, dispose it when done. A workspace serves
/// one call at a time. The buffers of each baseline are listed in docs/baselines.md.
/// </summary>
public abstract class BaselineWorkspace : DeviceWorkspace
{

    /// <summary>Records the sizes; the derived workspace allocates its buffers with <see cref="DeviceWorkspace.Allocate"/>.</summary>
    private protected BaselineWorkspace(Accelerator accelerator, int maxBatch, int maxTime, int hidden, int innerSteps)
        : base(accelerator)
    {
        MaxBatch = maxBatch;
        MaxTime = maxTime;
        Hidden = hidden;
        InnerSteps = innerSteps;
    }

    /// <inheritdoc/>
    public override int MaxBatch { get; }

    /// <inheritdoc/>
    public override int MaxTime { get; }

    /// <summary>H of the layer that made it.</summary>
    public int Hidden { get; }

    /// <summary>S of the layer that made it.</summary>
    public int InnerSteps { get; }
}

/// <summary>
/// Workspace of <see cref="PerStepLaunchRnn"/>: the tape of the fused layer plus A stored after every
/// step, as an autograd framework keeps it (docs/baselines.md §1).
/// </summary>
public sealed class PerStepLaunchWorkspace : BaselineWorkspace
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

/// <summary>
/// Workspace of <see cref="AttentionFormRnn"/>: the vector tape of the fused layer, a copy of A0 (the only
/// H×H buffer) and one [B,T,H] buffer for the gradients reaching earlier outer states through the
/// attention sums (docs/baselines.md §2). No A(t) is ever stored.
/// </summary>
public sealed class AttentionFormWorkspace : BaselineWorkspace
{
    internal AttentionFormWorkspace(Accelerator accelerator, int maxBatch, int maxTime, int hidden, int innerSteps)
        : base(accelerator, maxBatch, maxTime, hidden, innerSteps)
    {
        var e = AttentionFormRnn.Elements(maxBatch, maxTime, hidden, innerSteps);
        try
        {
            Projection = Allocate(e[0]);
            States = Allocate(e[1]);
            InnerStates = Allocate(e[2]);
            Normalized = Allocate(e[3]);
            InverseStd = Allocate(e[4]);
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

    internal ArrayView<float> Projection { get; }     // [B,T,H] u, then dz
    internal ArrayView<float> States { get; }         // [B,T+1,H]
    internal ArrayView<float> InnerStates { get; }    // [B,T,S,H]
    internal ArrayView<float> Normalized { get; }     // [B,T,S,H]
    internal ArrayView<float> InverseStd { get; }     // [B,T,S]
    internal ArrayView<float> HistoryGrad { get; }    // [B,T,H] gradient reaching h_τ through later steps' A(t)
    internal ArrayView<float> InitialFastWeights { get; } // [B,H,H] the forward's A0 (valid when ForwardHadA0)
    internal ArrayView<float> Vectors { get; }        // [B,3,H]
    internal ArrayView<float> LayerNormGrad { get; }  // [B,2,H]

    /// <summary>Whether the last forward had an A0 (copied into InitialFastWeights).</summary>
    internal bool ForwardHadA0 { get; set; }
}
