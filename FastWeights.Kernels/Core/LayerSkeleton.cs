namespace FastWeights.Kernels.Core;

/// <summary>
/// What every layer of the library does the same way around its own kernels (docs/design.md §7): the constructor's
/// argument checks, the disposed checks, the call checks against a workspace, the finite check of its inputs and the
/// release of its flags. Each layer holds one and keeps its own kernels, options and shapes; the checks here run in the
/// order the layers ran them before, with the same messages and argument names.
/// </summary>
internal sealed class LayerSkeleton
{
    private readonly string layerName;
    private readonly Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, int> finiteCheck;
    private readonly MemoryBuffer1D<int, Stride1D.Dense> finiteFlags;

    /// <summary>Allocates the finite-check flags (<paramref name="finiteSlots"/> ints: at most that many views per check).</summary>
    public LayerSkeleton(Accelerator accelerator, string layerName,
        Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<int>, int> finiteCheck, int finiteSlots)
    {
        Accelerator = accelerator;
        this.layerName = layerName;
        this.finiteCheck = finiteCheck;
        finiteFlags = accelerator.Allocate1D<int>(finiteSlots);
    }

    /// <summary>The layer's accelerator.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>Whether <see cref="Close"/> ran.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>A layer constructor's first checks: both arguments present, the accelerator alive.</summary>
    public static void CheckConstruction(Accelerator accelerator, object options)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(options);
        if (accelerator.IsDisposed) throw new ObjectDisposedException(nameof(accelerator));
    }

    /// <summary>
    /// A recurrent cell's constructor checks (<see cref="CheckConstruction"/>, then the options' own): returns the schedule
    /// the options ask for, <see cref="SweepSchedule.Auto"/> resolved for <paramref name="accelerator"/>.
    /// </summary>
    public static SweepSchedule CheckCell(Accelerator accelerator, RecurrentCellOptions options)
    {
        CheckConstruction(accelerator, options);
        options.Validate();
        return options.Schedule.ResolveFor(accelerator);
    }

    /// <summary>
    /// A group schedule whose kernels keep only vectors on chip needs no opt-in: it must fit the 48 KiB default (and the
    /// device's limit), else the constructor refuses, naming "options" and the <paramref name="sizes"/> at fault.
    /// </summary>
    public static void CheckGroupSharedMemory(Accelerator accelerator, bool group, long sharedBytes, string sizes, bool plural)
    {
        if (group && sharedBytes > Math.Min(accelerator.MaxSharedMemoryPerGroup, SharedMemoryBudget.DefaultLimit))
            throw new ArgumentOutOfRangeException("options",
                $"{sizes} {(plural ? "are" : "is")} too large for the group schedule on '{accelerator.Name}': {(plural ? "they need" : "it needs")} {sharedBytes} bytes of shared memory. Use SweepSchedule.Thread.");
    }

    /// <summary>Throws if the layer or its accelerator is disposed.</summary>
    public void ThrowIfDisposed()
    {
        if (IsDisposed) throw new ObjectDisposedException(layerName);
        ThrowIfAcceleratorDisposed(Accelerator);
    }

    /// <summary>Throws if <paramref name="accelerator"/>, a layer's, is disposed.</summary>
    public static void ThrowIfAcceleratorDisposed(Accelerator accelerator)
    {
        if (accelerator.IsDisposed) throw new ObjectDisposedException(nameof(Accelerator), "The layer's accelerator is disposed.");
    }

    /// <summary>B ≥ 1 and T ≥ 1, named as a workspace request names them.</summary>
    public static void CheckWorkspaceRequest(int maxBatch, int maxTime)
    {
        ViewChecks.Positive(maxBatch, nameof(maxBatch));
        ViewChecks.Positive(maxTime, nameof(maxTime));
    }

    /// <summary>B, T, I and H ≥ 1, each named; the layer then checks its own index limits.</summary>
    public static void CheckSizes(int batch, int time, int input, int hidden)
    {
        ViewChecks.Positive(batch, nameof(batch));
        ViewChecks.Positive(time, nameof(time));
        ViewChecks.Positive(input, nameof(input));
        ViewChecks.Positive(hidden, nameof(hidden));
    }

    /// <summary>
    /// The checks at the start of every forward and backward: the stream is the layer's, the workspace is present, alive,
    /// the layer's accelerator's and built for the layer's sizes (<paramref name="sameSizes"/>; otherwise "workspace was
    /// created by a layer with <paramref name="otherSizes"/>."), 1 ≤ batch, time ≤ the workspace's capacity.
    /// </summary>
    public void CheckCall<TWorkspace>(AcceleratorStream stream, TWorkspace workspace, Func<TWorkspace, bool> sameSizes,
        string otherSizes, int batch, int time)
        where TWorkspace : DeviceWorkspace
    {
        ViewChecks.Stream(stream, Accelerator);
        ArgumentNullException.ThrowIfNull(workspace);
        workspace.CheckOwner(Accelerator);
        if (!sameSizes(workspace))
            throw new ArgumentException($"workspace was created by a layer with {otherSizes}.", nameof(workspace));
        ViewChecks.Positive(batch, nameof(batch));
        ViewChecks.Positive(time, nameof(time));
        workspace.CheckCapacity(batch, time);
    }

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming the first of <paramref name="views"/> that holds NaN or ±∞ (empty
    /// views are skipped). One kernel per view sets a flag; one wait for <paramref name="stream"/> reads them.
    /// </summary>
    public void ThrowIfNotFinite(AcceleratorStream stream, params (ArrayView<float> View, string Name)[] views)
    {
        var flags = finiteFlags.View;
        flags.SubView(0, views.Length).MemSetToZero(stream);
        for (int k = 0; k < views.Length; k++)
            if (views[k].View.IsValid && views[k].View.Length > 0)
                finiteCheck(stream, (Index1D)views[k].View.IntLength, views[k].View, flags, k);
        var host = new int[flags.IntLength];
        flags.CopyToCPU(stream, host);
        stream.Synchronize();
        for (int k = 0; k < views.Length; k++)
            if (host[k] != 0)
                throw new ArgumentException($"{views[k].Name} contains NaN or infinite values.", views[k].Name);
    }

    /// <summary>Marks the layer disposed and frees the flags; false when it already was (the layer then frees nothing else).</summary>
    public bool Close()
    {
        if (IsDisposed) return false;
        IsDisposed = true;
        finiteFlags.Dispose();
        return true;
    }
}
