using FastWeights.Kernels.Lstm;

namespace FastWeights.Tests.Kernels.Lstm;

/// <summary>
/// The float32 LSTM kernels against the float64 reference, both schedules, on the CPU accelerator.
/// Tolerances (relative L2 over each tensor): forward ≤ 1e-5, every gradient ≤ 1e-4.
/// Why these hold: each step is a sum of O(H + I) float32 products (u = 6e-8 each) followed by layer norms and
/// saturating gates, carried through ≤ 30 steps of a contracting recurrence (f &lt; 1), so the forward error is
/// ~1e-6; the backward adds sums of O(B·T) terms for the weight gradients.
/// The tests are those of <see cref="CellKernelVsReferenceTests{TFamily, TCase, TLayer}"/>.
/// </summary>
public sealed class LstmKernelVsReferenceTests : CellKernelVsReferenceTests<LstmRunner, LstmCase, LstmLayer>;
