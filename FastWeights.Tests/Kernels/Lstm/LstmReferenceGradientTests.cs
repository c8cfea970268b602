using FastWeights.Kernels.Lstm;

namespace FastWeights.Tests.Kernels.Lstm;

/// <summary>
/// The LSTM's hand-derived float64 backward (<see cref="LstmReference"/>) against central differences of
/// <see cref="LstmReference.Loss"/>; the 1e-6 bar is argued in <see cref="CellReferenceGradientTests{TFamily, TCase, TLayer}"/>.
/// </summary>
public sealed class LstmReferenceGradientTests : CellReferenceGradientTests<LstmRunner, LstmCase, LstmLayer>;
