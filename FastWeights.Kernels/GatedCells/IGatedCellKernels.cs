namespace FastWeights.Kernels.GatedCells;

/// <summary>
/// What <see cref="GatedCellLayer{TOptions, TWorkspace}"/> needs of its cell's <see cref="GatedCellKernels{TForward, TReverse}"/>
/// without naming the cell's (internal) sweep arguments.
/// </summary>
internal interface IGatedCellKernels
{
    /// <summary>The accelerator every buffer must live on.</summary>
    Accelerator Accelerator { get; }

    /// <summary>The resolved schedule.</summary>
    SweepSchedule Schedule { get; }

    /// <summary>Threads per group of the group schedule.</summary>
    int GroupSize { get; }

    /// <summary>G: gate blocks of H rows in W_h, W_x and the gate vectors.</summary>
    int Gates { get; }

    /// <summary>Throws if the layer or its accelerator is disposed.</summary>
    void ThrowIfDisposed();

    /// <summary>Frees the layer's own device memory; safe to call twice.</summary>
    void Close();
}
