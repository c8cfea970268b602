namespace FastWeights.Kernels.GatedCells;

/// <summary>
/// What the layer-normalised gated cells (<see cref="Lstm.LstmLayer"/>, <see cref="Gru.GruLayer"/>) share as layers:
/// the accelerator, options, schedule and group size, the size and creation of a workspace, and disposal. Each cell adds
/// its forward and backward (their states and parameters differ), which run the same host sequence
/// (<see cref="GatedCellKernels{TForward, TReverse}"/>).
/// </summary>
/// <typeparam name="TOptions">The cell's options.</typeparam>
/// <typeparam name="TWorkspace">The cell's workspace.</typeparam>
public abstract class GatedCellLayer<TOptions, TWorkspace> : IDisposable
    where TOptions : RecurrentCellOptions
    where TWorkspace : GatedCellWorkspace
{
    private readonly IGatedCellKernels kernels;

    private protected GatedCellLayer(TOptions options, IGatedCellKernels kernels)
    {
        Options = options;
        this.kernels = kernels;
    }

    /// <summary>The accelerator every buffer must live on.</summary>
    public Accelerator Accelerator => kernels.Accelerator;

    /// <summary>The options the layer was built with.</summary>
    public TOptions Options { get; }

    /// <summary>The schedule in use (<see cref="SweepSchedule.Auto"/> resolved).</summary>
    public SweepSchedule Schedule => kernels.Schedule;

    /// <summary>Threads per group of the group schedule (a multiple of the warp size, at most what both compiled group sweeps allow: on CUDA their registers, elsewhere the device's maximum; above it a thread takes units k, k + G, …).</summary>
    public int GroupSize => kernels.GroupSize;

    /// <summary>Bytes of device memory a workspace for (B, T) takes with these options: exactly what <see cref="CreateWorkspace"/> allocates.</summary>
    /// <param name="batch">B ≥ 1.</param>
    /// <param name="time">T ≥ 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or too large.</exception>
    public long WorkspaceBytes(int batch, int time) => PlanBytes(batch, time, Options.InputSize, Options.HiddenSize);

    /// <summary>Allocates a workspace for batches of up to <paramref name="maxBatch"/> sequences of up to <paramref name="maxTime"/> steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or too large.</exception>
    /// <exception cref="ObjectDisposedException">The layer is disposed.</exception>
    public TWorkspace CreateWorkspace(int maxBatch, int maxTime)
    {
        kernels.ThrowIfDisposed();
        LayerSkeleton.CheckWorkspaceRequest(maxBatch, maxTime);
        CheckSizes(kernels.Gates, maxBatch, maxTime, Options.InputSize, Options.HiddenSize);
        return NewWorkspace(maxBatch, maxTime);
    }

    /// <summary>The cell's static <c>WorkspaceBytes(batch, time, input, hidden)</c>.</summary>
    private protected abstract long PlanBytes(int batch, int time, int input, int hidden);

    /// <summary>The cell's workspace for its plan of (maxBatch, maxTime, H); the sizes are checked.</summary>
    private protected abstract TWorkspace NewWorkspace(int maxBatch, int maxTime);

    /// <summary>B, T, I, H ≥ 1, and B·T·max(GH, I) below 2³¹: the kernels index rows of [B·T·max(GH, I)] with 32-bit thread indices.</summary>
    private protected static void CheckSizes(int gates, int batch, int time, int input, int hidden)
    {
        LayerSkeleton.CheckSizes(batch, time, input, hidden);
        if ((long)batch * time * Math.Max((long)gates * hidden, input) > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"B·T·max({gates}H, I) must be below 2³¹.");
    }

    /// <summary>Frees the layer's own device memory (the finite-check flags, and where the cell has them a zero bias and, on the group schedule, the column-major copy of W_h). Kernels are owned by the accelerator. Safe to call twice.</summary>
    public void Dispose() => kernels.Close();
}
