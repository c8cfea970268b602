namespace FastWeights.Kernels.Interop;

/// <summary>
/// One tensor entry of a safetensors header: its name, element type, shape and byte range.
/// </summary>
/// <remarks>
/// <see cref="Begin"/> and <see cref="End"/> are the entry's <c>"data_offsets"</c>: byte offsets relative to the
/// start of the data buffer (the first byte after the 8-byte length prefix and the JSON header), with
/// <c>Begin &lt;= End</c> and <c>End - Begin == ElementCount * element size</c>. Record equality compares
/// <see cref="Shape"/> by reference, as for any array-valued record member.
/// </remarks>
/// <param name="Name">The tensor's key in the header.</param>
/// <param name="DType">The tensor's element type.</param>
/// <param name="Shape">The dimensions, outermost first; an empty array is a scalar.</param>
/// <param name="Begin">Offset of the tensor's first byte, relative to the start of the data buffer.</param>
/// <param name="End">Offset one past the tensor's last byte, relative to the start of the data buffer.</param>
public sealed record SafeTensorInfo(string Name, SafeTensorDType DType, int[] Shape, long Begin, long End)
{
    /// <summary>
    /// Number of elements: the product of <see cref="Shape"/>; an empty shape (a scalar) has 1 element and any
    /// zero dimension gives 0.
    /// </summary>
    /// <exception cref="OverflowException">The product does not fit in a <see cref="long"/> (never the case for
    /// an entry produced by <see cref="SafeTensorsFile"/>, which rejects such headers).</exception>
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (int dim in Shape)
            {
                count = checked(count * dim);
            }

            return count;
        }
    }

    /// <summary>Size in bytes of the tensor's data, <c>End - Begin</c>.</summary>
    public long ByteLength => End - Begin;
}
