using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;

namespace FastWeights.Kernels.Interop;

/// <summary>
/// A parsed, fully validated safetensors file held in memory.
/// </summary>
/// <remarks>
/// <para>Layout: 8 bytes little-endian unsigned header length <c>N</c>; <c>N</c> bytes of UTF-8 JSON (an object,
/// possibly padded with trailing spaces); then the data buffer. Every key of the JSON object except
/// <c>"__metadata__"</c> is a tensor entry <c>{"dtype":"F32","shape":[2,3],"data_offsets":[begin,end]}</c>, with
/// offsets relative to the start of the data buffer and data stored little-endian. The optional
/// <c>"__metadata__"</c> entry is an object whose values are all strings. Fields other than
/// <c>dtype</c>, <c>shape</c> and <c>data_offsets</c> in a tensor entry are ignored.</para>
/// <para>Validation done on load (any failure throws <see cref="SafeTensorsFormatException"/>): the input is at
/// least 8 bytes; the header length is non-zero, at most 100,000,000 and within the input; the header is valid
/// UTF-8 JSON whose root is an object; no key appears twice (tensor names, metadata keys, entry fields); each entry
/// has a known string <c>dtype</c>, a <c>shape</c> array of non-negative integers each at most
/// <see cref="int.MaxValue"/>, and <c>data_offsets</c> of exactly two non-negative integers with
/// <c>begin &lt;= end &lt;= data buffer length</c>; the element count and byte size do not overflow; the byte range
/// length equals element count × element size; and no two non-empty tensors' byte ranges overlap. The data buffer
/// need not be fully covered: gaps and trailing bytes are allowed and ignored.</para>
/// <para>Instances are immutable and safe to read from several threads.</para>
/// </remarks>
public sealed class SafeTensorsFile
{
    /// <summary>Largest accepted header length in bytes (the limit used by the reference implementation).</summary>
    private const ulong MaxHeaderLength = 100_000_000;

    private const string MetadataKey = "__metadata__";

    private readonly byte[] _bytes;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafeTensorInfo> _byName;

    private SafeTensorsFile(
        byte[] bytes,
        long dataStart,
        string sourceName,
        IReadOnlyDictionary<string, string> metadata,
        IReadOnlyList<SafeTensorInfo> tensors,
        Dictionary<string, SafeTensorInfo> byName)
    {
        _bytes = bytes;
        _dataStart = dataStart;
        SourceName = sourceName;
        Metadata = metadata;
        Tensors = tensors;
        _byName = byName;
    }

    /// <summary>The name used in error messages: the path given to <see cref="Load"/> or the name given to
    /// <see cref="Parse"/>.</summary>
    public string SourceName { get; }

    /// <summary>
    /// The string-to-string <c>"__metadata__"</c> object of the header; empty when the header has none.
    /// </summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// All tensor entries, ordered by their position in the data buffer (ascending <see cref="SafeTensorInfo.Begin"/>;
    /// entries with the same begin offset, such as zero-size tensors, keep their header order).
    /// </summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>
    /// Reads the whole file at <paramref name="path"/> into memory and parses it as with <see cref="Parse"/>,
    /// using the path as source name in error messages.
    /// </summary>
    /// <param name="path">Path of the <c>.safetensors</c> file.</param>
    /// <returns>The parsed file.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="FileNotFoundException">No file exists at <paramref name="path"/>; the message names it.</exception>
    /// <exception cref="IOException">The file cannot be read (including files of 2 GiB or more).</exception>
    /// <exception cref="SafeTensorsFormatException">The contents are not a valid safetensors file (see the class
    /// remarks for the rules).</exception>
    public static SafeTensorsFile Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Safetensors file '{path}' was not found.", path);
        }

        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>
    /// Parses and validates a complete safetensors file held in <paramref name="bytes"/>. The array is kept (not
    /// copied) for later reads, so it must not be modified afterwards.
    /// </summary>
    /// <param name="bytes">The complete file contents.</param>
    /// <param name="sourceName">Name used in error messages.</param>
    /// <returns>The parsed file.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="bytes"/> or <paramref name="sourceName"/> is null.</exception>
    /// <exception cref="SafeTensorsFormatException">The contents are not a valid safetensors file (see the class
    /// remarks for the rules); the message names <paramref name="sourceName"/> and the entry or field at fault.</exception>
    public static SafeTensorsFile Parse(byte[] bytes, string sourceName = "<memory>")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(sourceName);

        if (bytes.Length < 8)
        {
            throw Error(sourceName, null,
                $"the input is {bytes.Length} bytes long, shorter than the 8-byte header length prefix.");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(0, 8));
        long remaining = bytes.LongLength - 8;
        if (headerLength == 0)
        {
            throw Error(sourceName, null, "the header length is 0; a header must at least hold '{}'.");
        }

        if (headerLength > MaxHeaderLength)
        {
            throw Error(sourceName, null,
                $"the header length {headerLength} exceeds the limit of {MaxHeaderLength} bytes.");
        }

        if (headerLength > (ulong)remaining)
        {
            throw Error(sourceName, null,
                $"the header length {headerLength} is larger than the {remaining} bytes that follow the length prefix.");
        }

        int headerLen = (int)headerLength;
        var headerBytes = new ReadOnlyMemory<byte>(bytes, 8, headerLen);
        if (!Utf8.IsValid(headerBytes.Span))
        {
            throw Error(sourceName, null, "the header is not valid UTF-8.");
        }

        long dataStart = 8 + (long)headerLen;
        long dataLength = bytes.LongLength - dataStart;

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerBytes, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException ex)
        {
            throw Error(sourceName, null, $"the header is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Error(sourceName, null, $"the header must be a JSON object, found {root.ValueKind}.");
            }

            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            bool sawMetadata = false;
            var tensors = new List<SafeTensorInfo>();
            var byName = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);

            foreach (JsonProperty property in root.EnumerateObject())
            {
                string name = property.Name;
                if (name == MetadataKey)
                {
                    if (sawMetadata)
                    {
                        throw Error(sourceName, null, "duplicate '__metadata__' entry in the header.");
                    }

                    sawMetadata = true;
                    ReadMetadata(property.Value, metadata, sourceName);
                    continue;
                }

                if (byName.ContainsKey(name))
                {
                    throw Error(sourceName, name, "duplicate tensor name in the header.");
                }

                SafeTensorInfo info = ReadEntry(name, property.Value, dataLength, sourceName);
                byName.Add(name, info);
                tensors.Add(info);
            }

            // Stable sort by begin offset: List.Sort is unstable, so break ties by header index.
            SafeTensorInfo[] ordered = tensors
                .Select((t, index) => (t, index))
                .OrderBy(p => p.t.Begin)
                .ThenBy(p => p.index)
                .Select(p => p.t)
                .ToArray();
            CheckNoOverlap(ordered, sourceName);

            return new SafeTensorsFile(bytes, dataStart, sourceName, metadata.AsReadOnly(), Array.AsReadOnly(ordered), byName);
        }
    }

    /// <summary>Whether the file has a tensor called <paramref name="name"/> (ordinal, case-sensitive).</summary>
    /// <param name="name">Tensor name.</param>
    /// <returns><see langword="true"/> if the tensor exists.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public bool Contains(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _byName.ContainsKey(name);
    }

    /// <summary>Returns the header entry of tensor <paramref name="name"/> (ordinal, case-sensitive).</summary>
    /// <param name="name">Tensor name.</param>
    /// <returns>The tensor's dtype, shape and data offsets.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="KeyNotFoundException">No such tensor; the message names it, the source, and the tensors
    /// that are present.</exception>
    public SafeTensorInfo GetInfo(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_byName.TryGetValue(name, out SafeTensorInfo? info))
        {
            return info;
        }

        const int maxListed = 20;
        string present = Tensors.Count == 0
            ? "(none)"
            : string.Join(", ", Tensors.Take(maxListed).Select(t => $"'{t.Name}'"))
              + (Tensors.Count > maxListed ? $", ... ({Tensors.Count - maxListed} more)" : string.Empty);
        throw new KeyNotFoundException(
            $"Tensor '{name}' was not found in safetensors data '{SourceName}'. Tensors present: {present}.");
    }

    /// <summary>
    /// Copies the data of F32 tensor <paramref name="name"/> into a new array (row-major, as stored) and returns its
    /// shape. A scalar (shape <c>[]</c>) gives one element; a tensor with a zero dimension gives an empty array.
    /// </summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="shape">Receives a copy of the tensor's shape.</param>
    /// <returns>The tensor's values, decoded from little-endian.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="KeyNotFoundException">No such tensor (see <see cref="GetInfo"/>).</exception>
    /// <exception cref="SafeTensorsFormatException">The tensor's dtype is not <see cref="SafeTensorDType.F32"/>;
    /// the message gives the dtype found.</exception>
    /// <exception cref="NotSupportedException">The tensor has more than <see cref="Array.MaxLength"/> elements.</exception>
    public float[] ReadFloat32(string name, out int[] shape)
    {
        SafeTensorInfo info = GetInfo(name);
        if (info.DType != SafeTensorDType.F32)
        {
            throw Error(SourceName, name,
                $"dtype is {SafeTensorDTypes.ToHeaderString(info.DType)}, but ReadFloat32 requires F32.");
        }

        long count = info.ElementCount;
        if (count > Array.MaxLength)
        {
            throw new NotSupportedException(
                $"Tensor '{name}' in '{SourceName}' has {count} elements, more than a .NET array can hold.");
        }

        var values = new float[count];
        ReadOnlySpan<byte> source = _bytes.AsSpan(checked((int)(_dataStart + info.Begin)), checked((int)info.ByteLength));
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, float>(source).CopyTo(values);
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(source.Slice(i * sizeof(float), sizeof(float)));
            }
        }

        shape = (int[])info.Shape.Clone();
        return values;
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string sourceName)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Error(sourceName, null, $"'__metadata__' must be a JSON object of strings, found {value.ValueKind}.");
        }

        foreach (JsonProperty item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw Error(sourceName, null,
                    $"'__metadata__' value for key '{item.Name}' must be a string, found {item.Value.ValueKind}.");
            }

            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
            {
                throw Error(sourceName, null, $"duplicate key '{item.Name}' in '__metadata__'.");
            }
        }
    }

    private static SafeTensorInfo ReadEntry(string name, JsonElement entry, long dataLength, string sourceName)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            throw Error(sourceName, name, $"the entry must be a JSON object, found {entry.ValueKind}.");
        }

        JsonElement? dtypeElement = null, shapeElement = null, offsetsElement = null;
        foreach (JsonProperty field in entry.EnumerateObject())
        {
            switch (field.Name)
            {
                case "dtype":
                    dtypeElement = dtypeElement is null ? field.Value : throw DuplicateField(sourceName, name, field.Name);
                    break;
                case "shape":
                    shapeElement = shapeElement is null ? field.Value : throw DuplicateField(sourceName, name, field.Name);
                    break;
                case "data_offsets":
                    offsetsElement = offsetsElement is null ? field.Value : throw DuplicateField(sourceName, name, field.Name);
                    break;
            }
        }

        // dtype
        if (dtypeElement is not { } dtypeValue)
        {
            throw Error(sourceName, name, "missing field 'dtype'.");
        }

        if (dtypeValue.ValueKind != JsonValueKind.String)
        {
            throw Error(sourceName, name, $"field 'dtype' must be a string, found {dtypeValue.ValueKind}.");
        }

        string dtypeText = dtypeValue.GetString()!;
        if (!SafeTensorDTypes.TryParse(dtypeText, out SafeTensorDType dtype))
        {
            throw Error(sourceName, name,
                $"unknown dtype '{dtypeText}'; expected one of {string.Join(", ", Enum.GetNames<SafeTensorDType>())}.");
        }

        // shape
        if (shapeElement is not { } shapeValue)
        {
            throw Error(sourceName, name, "missing field 'shape'.");
        }

        if (shapeValue.ValueKind != JsonValueKind.Array)
        {
            throw Error(sourceName, name, $"field 'shape' must be a JSON array of integers, found {shapeValue.ValueKind}.");
        }

        var shape = new int[shapeValue.GetArrayLength()];
        int axis = 0;
        foreach (JsonElement dimElement in shapeValue.EnumerateArray())
        {
            if (dimElement.ValueKind != JsonValueKind.Number || !dimElement.TryGetInt64(out long dim))
            {
                throw Error(sourceName, name,
                    $"field 'shape' must contain only integers; element {axis} is {dimElement.GetRawText()}.");
            }

            if (dim < 0)
            {
                throw Error(sourceName, name, $"field 'shape' has negative dimension {dim} at axis {axis}.");
            }

            if (dim > int.MaxValue)
            {
                throw Error(sourceName, name,
                    $"field 'shape' dimension {dim} at axis {axis} exceeds the supported maximum {int.MaxValue}.");
            }

            shape[axis++] = (int)dim;
        }

        // data_offsets
        if (offsetsElement is not { } offsetsValue)
        {
            throw Error(sourceName, name, "missing field 'data_offsets'.");
        }

        if (offsetsValue.ValueKind != JsonValueKind.Array || offsetsValue.GetArrayLength() != 2)
        {
            throw Error(sourceName, name,
                $"field 'data_offsets' must be an array of exactly two non-negative integers [begin, end], found {offsetsValue.GetRawText()}.");
        }

        JsonElement beginElement = offsetsValue[0], endElement = offsetsValue[1];
        if (beginElement.ValueKind != JsonValueKind.Number || !beginElement.TryGetUInt64(out ulong begin)
            || endElement.ValueKind != JsonValueKind.Number || !endElement.TryGetUInt64(out ulong end))
        {
            throw Error(sourceName, name,
                $"field 'data_offsets' must be two non-negative integers [begin, end], found {offsetsValue.GetRawText()}.");
        }

        if (begin > end)
        {
            throw Error(sourceName, name, $"data_offsets begin {begin} is greater than end {end}.");
        }

        if (end > (ulong)dataLength)
        {
            throw Error(sourceName, name,
                $"data_offsets [{begin}, {end}] lie outside the data buffer of {dataLength} bytes.");
        }

        // element count and byte size
        long elementCount = 1;
        long byteSize;
        try
        {
            foreach (int dim in shape)
            {
                elementCount = checked(elementCount * dim);
            }

            byteSize = checked(elementCount * SafeTensorDTypes.ElementSize(dtype));
        }
        catch (OverflowException ex)
        {
            throw Error(sourceName, name,
                $"shape [{string.Join(", ", shape)}] overflows: its element count or byte size does not fit in 64 bits.", ex);
        }

        long rangeLength = (long)(end - begin);
        if (rangeLength != byteSize)
        {
            throw Error(sourceName, name,
                $"data_offsets [{begin}, {end}] span {rangeLength} bytes, but shape [{string.Join(", ", shape)}] of {dtypeText} needs {elementCount} × {SafeTensorDTypes.ElementSize(dtype)} = {byteSize} bytes.");
        }

        return new SafeTensorInfo(name, dtype, shape, (long)begin, (long)end);
    }

    private static void CheckNoOverlap(SafeTensorInfo[] orderedByBegin, string sourceName)
    {
        SafeTensorInfo? previous = null; // the non-empty tensor with the largest end seen so far
        foreach (SafeTensorInfo info in orderedByBegin)
        {
            if (info.Begin == info.End)
            {
                continue; // an empty range overlaps nothing
            }

            if (previous is not null && info.Begin < previous.End)
            {
                throw Error(sourceName, info.Name,
                    $"data_offsets [{info.Begin}, {info.End}] overlap those of tensor '{previous.Name}' [{previous.Begin}, {previous.End}].");
            }

            if (previous is null || info.End > previous.End)
            {
                previous = info;
            }
        }
    }

    private static SafeTensorsFormatException DuplicateField(string sourceName, string name, string field) =>
        Error(sourceName, name, $"field '{field}' appears more than once.");

    private static SafeTensorsFormatException Error(string sourceName, string? tensorName, string detail, Exception? inner = null) =>
        new(sourceName, tensorName, detail, inner);
}
