using FastWeights.Kernels.LinearFastWeights;

namespace FastWeights.Bench.Capacity;

/// <summary>One measured point of the capacity curves.</summary>
/// <param name="Map">φ.</param>
/// <param name="Rule">The write rule.</param>
/// <param name="FeatureSize">d', the number of columns of the memory.</param>
/// <param name="Pairs">n, pairs written.</param>
/// <param name="MeanSquaredError">Mean over trials and pairs of |y − v|² (values have |v| = 1, so 1 means "retrieved nothing").</param>
/// <param name="RetrievedFraction">Fraction of queries whose output is nearer (Euclidean) to its own value than to any other stored value.</param>
internal readonly record struct CapacityPoint(FeatureMap Map, UpdateRule Rule, int FeatureSize, int Pairs, double MeanSquaredError, double RetrievedFraction);
