using FastWeights.Kernels.Gru;

namespace FastWeights.Tests.Kernels.Gru;

/// <summary>
/// The GRU's hand-derived float64 backward (<see cref="GruReference"/>) against central differences of
/// <see cref="GruReference.Loss"/>; the 1e-6 bar is argued in <see cref="CellReferenceGradientTests{TFamily, TCase, TLayer}"/>.
/// </summary>
public sealed class GruReferenceGradientTests : CellReferenceGradientTests<GruRunner, GruCase, GruLayer>;
