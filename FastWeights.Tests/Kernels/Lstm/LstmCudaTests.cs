using FastWeights.Kernels.Lstm;

namespace FastWeights.Tests.Kernels.Lstm;

/// <summary>
/// The checks of <see cref="LstmKernelVsReferenceTests"/> on a real CUDA device, both schedules. Ignored (reported as
/// skipped, never failed) where ILGPU sees no CUDA device. Tolerances are 10× looser than on the CPU accelerator:
/// on CUDA tanh, exp and sqrt compile to approximate PTX instructions (~1e-6 relative each, docs/design.md §8), and the
/// LSTM applies five of them per unit and step.
/// </summary>
[Category("Gpu")]
public sealed class LstmCudaTests : CellCudaTests<LstmRunner, LstmCase, LstmLayer>;
