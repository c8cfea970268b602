using FastWeights.Kernels.Gru;

namespace FastWeights.Tests.Kernels.Gru;

/// <summary>
/// The checks of <see cref="GruKernelVsReferenceTests"/> on a real CUDA device, both schedules. Ignored (reported as
/// skipped, never failed) where ILGPU sees no CUDA device. Tolerances are 10× looser than on the CPU accelerator, as for
/// the LSTM: on CUDA tanh, exp and sqrt compile to approximate PTX instructions (~1e-6 relative each, docs/design.md §8).
/// Not yet run on a GPU.
/// </summary>
[Category("Gpu")]
public sealed class GruCudaTests : CellCudaTests<GruRunner, GruCase, GruLayer>;
