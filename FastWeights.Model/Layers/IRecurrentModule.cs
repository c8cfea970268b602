using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Model.Parameters;
using ILGPU;
using ILGPU.Runtime;

namespace FastWeights.Model.Layers;

/// <summary>
/// A recurrent layer as the retrieval model uses it: y [B,T,H] from x [B,T,I] starting from a zero state, and the
/// backward that overwrites every parameter gradient and dx. Implemented over the fast-weight kernels
/// (<see cref="RecurrentLayer"/>), the LSTM kernels (<see cref="LstmRecurrentLayer"/>) and the HyperLSTM kernels
/// (<see cref="HyperLstmRecurrentLayer"/>); <see cref="RecurrentModules.Create"/> picks one from a <see cref="RecurrentKind"/>.
/// </summary>
public interface IRecurrentModule : IModule, IDisposable
{
    /// <summary>The kernels' schedule (<see cref="SweepSchedule.Auto"/> resolved).</summary>
    SweepSchedule Schedule { get; }

    /// <summary>Initial values, deterministic from <paramref name="rng"/>.</summary>
    void Initialize(Random rng);

    /// <summary>y [B,T,H] from x [B,T,I], starting from a zero state.</summary>
    void Forward(AcceleratorStream stream, ArrayView<float> y, ArrayView<float> x, int batch, int time);

    /// <summary>Parameter gradients (overwritten) and dx [B,T,I] (overwritten; empty = not wanted) from dy [B,T,H], after a <see cref="Forward"/> of the same shape.</summary>
    void Backward(AcceleratorStream stream, ArrayView<float> dx, ArrayView<float> dy, ArrayView<float> x, int batch, int time);
}
