using FastWeights.Kernels.Baselines;
using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Gru;
using FastWeights.Kernels.Host;
using FastWeights.Kernels.HyperLstm;
using FastWeights.Kernels.LinearFastWeights;
using FastWeights.Kernels.Lstm;
using FastWeights.Kernels.Primitives;
using ILGPU;
using ILGPU.Runtime;

namespace FastWeights.Kernels.Compilation;

/// <summary>
/// Every kernel FastWeights.Kernels loads, and the only way its layers load them (<see cref="KernelEntry{TLauncher}.Load"/>).
/// FastWeights.Model's catalog adds its own; together they are what the PTX check compiles (docs/gpu.md).
/// A test fails when a <c>Load…Kernel</c> call appears anywhere else in the library's source.
/// </summary>
internal static class KernelCatalog
{
    /// <summary>
    /// Threads per group the group schedules' sweeps must sustain: their group at H = 512 (one thread per row; the
    /// largest hidden size of the benchmarks and of the access-pattern model). Above that the layers cap the group at
    /// the compiled function's limit and spread rows over its threads.
    /// </summary>
    public const int SweepGroupSize = 512;

    /// <summary>An implicitly grouped kernel needs at least one full warp per group.</summary>
    public const int ElementGroupSize = 32;

    /// <summary>An explicitly grouped kernel taking one argument struct.</summary>
    public static KernelEntry<Action<AcceleratorStream, KernelConfig, T>> Grouped<T>(Action<T> kernel, int requiredGroupSize = SweepGroupSize)
        where T : struct =>
        new(kernel, KernelGrouping.Explicit, requiredGroupSize, acc => acc.LoadKernel(kernel));

    /// <summary>An implicitly grouped kernel taking one argument struct.</summary>
    /// <remarks>
    /// Loaded through <see cref="HostExecution.LoadIndexKernel{TArgs}"/>: on the CPU accelerator the body runs as host
    /// loops, <paramref name="host"/> (the same body with SIMD loops, never compiled by ILGPU) where one is given.
    /// </remarks>
    public static KernelEntry<Action<AcceleratorStream, Index1D, T>> AutoGrouped<T>(Action<Index1D, T> kernel, Action<Index1D, T>? host = null)
        where T : struct =>
        new(kernel, KernelGrouping.Implicit, ElementGroupSize, acc => acc.LoadIndexKernel(kernel, host));

    /// <summary>An implicitly grouped kernel taking three arguments.</summary>
    public static KernelEntry<Action<AcceleratorStream, Index1D, T1, T2, T3>> AutoGrouped<T1, T2, T3>(Action<Index1D, T1, T2, T3> kernel)
        where T1 : struct where T2 : struct where T3 : struct =>
        new(kernel, KernelGrouping.Implicit, ElementGroupSize, acc => acc.LoadIndexKernel(kernel));

    // Primitives shared by the layers.
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, InputProjectionArgs>> InputProjectionKernel = AutoGrouped<InputProjectionArgs>(InputProjection.Kernel, InputProjection.HostKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, OuterProductSumArgs>> OuterProductSum = AutoGrouped<OuterProductSumArgs>(ParameterGradients.OuterProductSumKernel, ParameterGradients.OuterProductSumHostKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, InputGradientArgs>> InputGradient = AutoGrouped<InputGradientArgs>(ParameterGradients.InputGradientKernel, ParameterGradients.InputGradientHostKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, VectorGradientArgs>> VectorGradient = AutoGrouped<VectorGradientArgs>(ParameterGradients.VectorGradientKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, MatrixTransposeArgs>> Transpose = AutoGrouped<MatrixTransposeArgs>(MatrixTranspose.Kernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, int>> Finite = AutoGrouped<ArrayView<float>, ArrayView<int>, int>(FiniteCheck.Kernel);

    // The fast-weight RNN.
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, ForwardSweepArgs>> ForwardThread = AutoGrouped<ForwardSweepArgs>(ForwardSweep.ThreadKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, ForwardSweepArgs>> ForwardGroup = Grouped<ForwardSweepArgs>(ForwardSweep.GroupKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, ReverseSweepArgs>> ReverseThread = AutoGrouped<ReverseSweepArgs>(ReverseSweep.ThreadKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, ReverseSweepArgs>> ReverseGroup = Grouped<ReverseSweepArgs>(ReverseSweep.GroupKernel);
    // The host schedule (SweepSchedule.Host): the thread kernels' methods with their SIMD host bodies. Internal, not
    // public, so that All (public fields) lists each compiled method once: PTX compiles ForwardThread/ReverseThread.
    internal static readonly KernelEntry<Action<AcceleratorStream, Index1D, ForwardSweepArgs>> ForwardHost = AutoGrouped<ForwardSweepArgs>(ForwardSweep.ThreadKernel, ForwardSweep.HostKernel);
    internal static readonly KernelEntry<Action<AcceleratorStream, Index1D, ReverseSweepArgs>> ReverseHost = AutoGrouped<ReverseSweepArgs>(ReverseSweep.ThreadKernel, ReverseSweep.HostKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, FastWeightReplayArgs>> Replay = AutoGrouped<FastWeightReplayArgs>(FastWeightReplay.Kernel, FastWeightReplay.HostKernel);

    // The LN-LSTM.
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LstmForwardSweepArgs>> LstmForwardThread = AutoGrouped<LstmForwardSweepArgs>(LstmForwardSweep.ThreadKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, LstmForwardSweepArgs>> LstmForwardGroup = Grouped<LstmForwardSweepArgs>(LstmForwardSweep.GroupKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LstmReverseSweepArgs>> LstmReverseThread = AutoGrouped<LstmReverseSweepArgs>(LstmReverseSweep.ThreadKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, LstmReverseSweepArgs>> LstmReverseGroup = Grouped<LstmReverseSweepArgs>(LstmReverseSweep.GroupKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, NormParameterGradientArgs>> NormGradient = AutoGrouped<NormParameterGradientArgs>(NormParameterGradient.Kernel);

    // The LN-GRU.
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, GruForwardSweepArgs>> GruForwardThread = AutoGrouped<GruForwardSweepArgs>(GruForwardSweep.ThreadKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, GruForwardSweepArgs>> GruForwardGroup = Grouped<GruForwardSweepArgs>(GruForwardSweep.GroupKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, GruReverseSweepArgs>> GruReverseThread = AutoGrouped<GruReverseSweepArgs>(GruReverseSweep.ThreadKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, GruReverseSweepArgs>> GruReverseGroup = Grouped<GruReverseSweepArgs>(GruReverseSweep.GroupKernel);

    // The HyperLSTM.
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, HyperLstmForwardSweepArgs>> HyperForwardThread = AutoGrouped<HyperLstmForwardSweepArgs>(HyperLstmForwardSweep.ThreadKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, HyperLstmForwardSweepArgs>> HyperForwardGroup = Grouped<HyperLstmForwardSweepArgs>(HyperLstmForwardSweep.GroupKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, HyperLstmReverseSweepArgs>> HyperReverseThread = AutoGrouped<HyperLstmReverseSweepArgs>(HyperLstmReverseSweep.ThreadKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, HyperLstmReverseSweepArgs>> HyperReverseGroup = Grouped<HyperLstmReverseSweepArgs>(HyperLstmReverseSweep.GroupKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, ColumnSumArgs>> HyperColumnSum = AutoGrouped<ColumnSumArgs>(HyperLstmReductions.ColumnSumKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, ScalingWeightGradientArgs>> HyperScalingWeightGradient = AutoGrouped<ScalingWeightGradientArgs>(HyperLstmReductions.ScalingWeightGradientKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, DualInputGradientArgs>> HyperInputGradient = AutoGrouped<DualInputGradientArgs>(HyperLstmReductions.InputGradientKernel);

    // The linear fast-weight memory.
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LinearSweepArgs>> LinearForwardThread = AutoGrouped<LinearSweepArgs>(LinearForwardSweep.ThreadKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, LinearSweepArgs>> LinearForwardGroup = Grouped<LinearSweepArgs>(LinearForwardSweep.GroupKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LinearSweepArgs>> LinearReverseThread = AutoGrouped<LinearSweepArgs>(LinearReverseSweep.ThreadKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, KernelConfig, LinearSweepArgs>> LinearReverseGroup = Grouped<LinearSweepArgs>(LinearReverseSweep.GroupKernel);

    // The baselines: one launch per step, and the attention form.
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, MatVecArgs>> PerStepMatVec = AutoGrouped<MatVecArgs>(PerStepKernels.MatVec);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, RankOneArgs>> PerStepRankOne = AutoGrouped<RankOneArgs>(PerStepKernels.RankOne);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, RowCopyArgs>> PerStepRowCopy = AutoGrouped<RowCopyArgs>(PerStepKernels.RowCopy);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, OutputGradArgs>> PerStepOutputGrad = AutoGrouped<OutputGradArgs>(PerStepKernels.OutputGrad);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, PreliminaryGradArgs>> PerStepPreliminaryGrad = AutoGrouped<PreliminaryGradArgs>(PerStepKernels.PreliminaryGrad);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, InnerNormArgs>> PerStepInnerNorm = AutoGrouped<InnerNormArgs>(PerStepKernels.InnerNorm);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, NormBackwardArgs>> PerStepNormBackward = AutoGrouped<NormBackwardArgs>(PerStepKernels.NormBackward);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, AttentionForwardArgs>> AttentionForward = AutoGrouped<AttentionForwardArgs>(AttentionFormSweep.ForwardKernel, AttentionFormSweep.ForwardHostKernel);
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, AttentionReverseArgs>> AttentionReverse = AutoGrouped<AttentionReverseArgs>(AttentionFormSweep.ReverseKernel, AttentionFormSweep.ReverseHostKernel);

    /// <summary>Every entry above, in declaration order (read by reflection, so a new field cannot be left out).</summary>
    public static IReadOnlyList<KernelEntry> All { get; } = Collect(typeof(KernelCatalog));

    /// <summary>The static <see cref="KernelEntry"/> fields of <paramref name="catalog"/>, in declaration order.</summary>
    public static IReadOnlyList<KernelEntry> Collect(Type catalog) =>
        catalog.GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => typeof(KernelEntry).IsAssignableFrom(f.FieldType))
            .OrderBy(f => f.MetadataToken)
            .Select(f => (KernelEntry)f.GetValue(null)!)
            .ToArray();
}
