using FastWeights.Kernels.Gru;

namespace FastWeights.Tests.Kernels.Gru;

/// <summary>The GRU's state carry: the tests of <see cref="CellStateCarryTests{TFamily, TCase, TLayer}"/>.</summary>
public sealed class GruStateCarryTests : CellStateCarryTests<GruRunner, GruCase, GruLayer>;
