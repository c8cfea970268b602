using FastWeights.Kernels.Lstm;

namespace FastWeights.Tests.Kernels.Lstm;

/// <summary>The LSTM's state carry: the tests of <see cref="CellStateCarryTests{TFamily, TCase, TLayer}"/>.</summary>
public sealed class LstmStateCarryTests : CellStateCarryTests<LstmRunner, LstmCase, LstmLayer>;
