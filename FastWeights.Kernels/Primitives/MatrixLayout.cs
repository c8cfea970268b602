namespace FastWeights.Kernels.Primitives;

/// <summary>
/// Where element (row, column) of a rows × columns matrix lives in its buffer. The sweeps read their weight matrices
/// through a layout so that one generic body serves both schedules: the thread schedule (one thread walks a row, so
/// row-major keeps it on consecutive addresses) and the group schedule (the 32 lanes of a warp own 32 consecutive rows
/// and walk the columns together, so the column-major copy puts them on consecutive addresses: one 128-byte request
/// instead of 32). The access-pattern model in the tests computes its addresses from these same functions
/// (docs/gpu.md §3).
/// </summary>
internal interface IMatrixLayout
{
    /// <summary>Offset of element (<paramref name="row"/>, <paramref name="column"/>).</summary>
    long Index(int row, int column, int rows, int columns);
}

/// <summary>The public layout of every weight matrix: (r, c) at r·columns + c.</summary>
internal readonly struct RowMajor : IMatrixLayout
{
    /// <inheritdoc />
    public long Index(int row, int column, int rows, int columns) => (long)row * columns + column;
}

/// <summary>The group schedules' transposed copy: (r, c) at c·rows + r (made by <see cref="MatrixTranspose"/>).</summary>
internal readonly struct ColumnMajor : IMatrixLayout
{
    /// <inheritdoc />
    public long Index(int row, int column, int rows, int columns) => (long)column * rows + row;
}
