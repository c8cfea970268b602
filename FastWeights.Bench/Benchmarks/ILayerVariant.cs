namespace FastWeights.Bench.Benchmarks;

/// <summary>
/// One implementation of the fast-weight layer that the kernel benchmarks time: the fused layer, the same
/// layer storing A for every step, or a baseline. Built for one <see cref="LayerShape"/> on one accelerator,
/// reading and writing the shared <see cref="BenchmarkTensors"/>.
/// </summary>
/// <remarks>
/// <see cref="Forward"/> and <see cref="Backward"/> only queue work on the accelerator's default stream; the
/// benchmark synchronises it. <see cref="Backward"/> may assume a <see cref="Forward"/> ran before it and may be
/// called again without another forward. Adding a variant to the suite is one adapter class implementing this
/// interface plus one line in <see cref="LayerVariants.All"/>.
/// </remarks>
internal interface ILayerVariant : IDisposable
{
    /// <summary>Bytes of device memory the variant allocated for its own state (not the shared tensors).</summary>
    long WorkspaceBytes { get; }

    /// <summary>Queues one forward over the whole batch and sequence.</summary>
    void Forward();

    /// <summary>Queues one backward for the last forward (dy → dx and the parameter gradients).</summary>
    void Backward();
}
