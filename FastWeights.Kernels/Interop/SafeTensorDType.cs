namespace FastWeights.Kernels.Interop;

/// <summary>
/// Element types a safetensors file can declare in a tensor's <c>"dtype"</c> field.
/// The member names are exactly the strings used in the file header (for example <c>"F32"</c>, <c>"BF16"</c>).
/// All multi-byte types are stored little-endian.
/// </summary>
public enum SafeTensorDType
{
    /// <summary>Boolean, one byte per element (<c>"BOOL"</c>).</summary>
    BOOL,

    /// <summary>Unsigned 8-bit integer (<c>"U8"</c>).</summary>
    U8,

    /// <summary>Signed 8-bit integer (<c>"I8"</c>).</summary>
    I8,

    /// <summary>Signed 16-bit integer (<c>"I16"</c>).</summary>
    I16,

    /// <summary>Unsigned 16-bit integer (<c>"U16"</c>).</summary>
    U16,

    /// <summary>IEEE 754 half-precision float, 2 bytes (<c>"F16"</c>).</summary>
    F16,

    /// <summary>bfloat16 (the upper 16 bits of an IEEE single), 2 bytes (<c>"BF16"</c>).</summary>
    BF16,

    /// <summary>Signed 32-bit integer (<c>"I32"</c>).</summary>
    I32,

    /// <summary>Unsigned 32-bit integer (<c>"U32"</c>).</summary>
    U32,

    /// <summary>IEEE 754 single-precision float, 4 bytes (<c>"F32"</c>).</summary>
    F32,

    /// <summary>IEEE 754 double-precision float, 8 bytes (<c>"F64"</c>).</summary>
    F64,

    /// <summary>Signed 64-bit integer (<c>"I64"</c>).</summary>
    I64,

    /// <summary>Unsigned 64-bit integer (<c>"U64"</c>).</summary>
    U64,
}

/// <summary>Element sizes and header-string conversion for <see cref="SafeTensorDType"/>.</summary>
internal static class SafeTensorDTypes
{
    /// <summary>Size in bytes of one element of <paramref name="dtype"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined <see cref="SafeTensorDType"/>.</exception>
    public static int ElementSize(SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.BOOL or SafeTensorDType.U8 or SafeTensorDType.I8 => 1,
        SafeTensorDType.I16 or SafeTensorDType.U16 or SafeTensorDType.F16 or SafeTensorDType.BF16 => 2,
        SafeTensorDType.I32 or SafeTensorDType.U32 or SafeTensorDType.F32 => 4,
        SafeTensorDType.F64 or SafeTensorDType.I64 or SafeTensorDType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown safetensors dtype."),
    };

    /// <summary>
    /// Parses a header dtype string. Matching is exact and case-sensitive, as in the safetensors spec
    /// (<c>"F32"</c> is accepted, <c>"f32"</c> and <c>"float32"</c> are not).
    /// </summary>
    public static bool TryParse(string? text, out SafeTensorDType dtype)
    {
        if (text is not null && ByHeaderString.TryGetValue(text, out dtype))
            return true;
        dtype = default;
        return false;
    }

    // The header strings are the enum member names (as ToHeaderString writes them), so the one list is the enum itself.
    private static readonly Dictionary<string, SafeTensorDType> ByHeaderString =
        Enum.GetValues<SafeTensorDType>().ToDictionary(d => d.ToString(), StringComparer.Ordinal);

    /// <summary>The header string for <paramref name="dtype"/> (its enum member name, e.g. <c>"F32"</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined <see cref="SafeTensorDType"/>.</exception>
    public static string ToHeaderString(SafeTensorDType dtype)
    {
        _ = ElementSize(dtype); // validates
        return dtype.ToString();
    }
}
