namespace FastWeights.Kernels.Primitives;

/// <summary>Arguments of <see cref="MatrixTranspose.Kernel"/>.</summary>
internal struct MatrixTransposeArgs
{
    public int Rows, Columns;
    public ArrayView<float> Source;   // [Rows, Columns] row-major
    public ArrayView<float> Target;   // [Columns, Rows] row-major: the column-major copy of Source
}

/// <summary>
/// The column-major copy of a row-major matrix, made once per call before a group-schedule forward sweep so that its
/// warps read the weights on consecutive addresses (<see cref="ColumnMajor"/>, docs/gpu.md §3). One thread per target
/// element, consecutive threads on consecutive target addresses (coalesced writes; the strided reads happen once per
/// call, not once per step).
/// </summary>
internal static class MatrixTranspose
{
    /// <summary>How a layer loads <see cref="Kernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, MatrixTransposeArgs>> Entry = AutoGrouped<MatrixTransposeArgs>(Kernel);
    public static void Kernel(Index1D index, MatrixTransposeArgs a)
    {
        long e = index;
        int column = (int)(e / a.Rows), row = (int)(e - (long)column * a.Rows);
        a.Target[new ColumnMajor().Index(row, column, a.Rows, a.Columns)] = a.Source[new RowMajor().Index(row, column, a.Rows, a.Columns)];
    }

    /// <summary>Queues the copy of <paramref name="source"/> [rows, columns] into <paramref name="target"/> (same length).</summary>
    public static void Launch(Action<AcceleratorStream, Index1D, MatrixTransposeArgs> kernel, AcceleratorStream stream,
        ArrayView<float> source, ArrayView<float> target, int rows, int columns)
    {
        kernel(stream, (Index1D)checked(rows * columns), new MatrixTransposeArgs
        {
            Rows = rows, Columns = columns, Source = source, Target = target,
        });
    }
}
