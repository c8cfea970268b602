using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace FastWeights.Kernels.Interop;

/// <summary>
/// Builds a safetensors file from F32 tensors and string metadata, in memory.
/// </summary>
/// <remarks>
/// <para>Output layout: 8 bytes little-endian unsigned header length <c>N</c>; <c>N</c> bytes of UTF-8 JSON;
/// the data buffer. The JSON object holds <c>"__metadata__"</c> first (only when metadata was added), then one
/// entry <c>{"dtype":"F32","shape":[...],"data_offsets":[begin,end]}</c> per tensor in insertion order. Tensor
/// data is stored contiguously, little-endian, in insertion order, so the first tensor starts at offset 0 of the
/// data buffer. The JSON is padded with trailing spaces so that the data buffer starts at a file offset that is a
/// multiple of 8.</para>
/// <para>Added data is copied, so the caller may reuse its buffers. Not thread-safe.</para>
/// </remarks>
public sealed class SafeTensorsWriter
{
    private const string MetadataKey = "__metadata__";

    private readonly List<(string Name, int[] Shape, float[] Data)> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly List<KeyValuePair<string, string>> _metadata = [];
    private readonly HashSet<string> _metadataKeys = new(StringComparer.Ordinal);

    /// <summary>
    /// Adds an F32 tensor. The data is copied; it is read row-major (last dimension fastest).
    /// </summary>
    /// <param name="name">Tensor name: non-empty, not <c>"__metadata__"</c>, and not already added (ordinal comparison).</param>
    /// <param name="data">The values; the length must equal the product of <paramref name="shape"/>.</param>
    /// <param name="shape">Dimensions, each non-negative. No dimensions (an empty array) means a scalar holding
    /// exactly one value; any zero dimension means an empty tensor.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> or <paramref name="shape"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, reserved or a duplicate;
    /// <paramref name="shape"/> has a negative dimension or its product overflows; or the length of
    /// <paramref name="data"/> differs from the product of <paramref name="shape"/>. <see cref="ArgumentException.ParamName"/>
    /// names the offending argument.</exception>
    public void Add(string name, ReadOnlySpan<float> data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (name.Length == 0)
        {
            throw new ArgumentException("Tensor name must not be empty.", nameof(name));
        }

        if (name == MetadataKey)
        {
            throw new ArgumentException($"Tensor name '{MetadataKey}' is reserved for file metadata.", nameof(name));
        }

        if (_names.Contains(name))
        {
            throw new ArgumentException($"A tensor named '{name}' has already been added.", nameof(name));
        }

        long count = 1;
        for (int axis = 0; axis < shape.Length; axis++)
        {
            if (shape[axis] < 0)
            {
                throw new ArgumentException(
                    $"Tensor '{name}': dimension {axis} is negative ({shape[axis]}).", nameof(shape));
            }

            try
            {
                count = checked(count * shape[axis]);
            }
            catch (OverflowException ex)
            {
                throw new ArgumentException($"Tensor '{name}': the product of the shape overflows.", nameof(shape), ex);
            }
        }

        if (data.Length != count)
        {
            throw new ArgumentException(
                $"Tensor '{name}': data has {data.Length} elements but shape [{string.Join(", ", shape)}] needs {count}.",
                nameof(data));
        }

        _tensors.Add((name, (int[])shape.Clone(), data.ToArray()));
        _names.Add(name);
    }

    /// <summary>Adds a <c>"__metadata__"</c> entry. Keys keep insertion order in the header.</summary>
    /// <param name="key">Metadata key: non-empty and not already added (ordinal comparison).</param>
    /// <param name="value">Metadata value (may be empty).</param>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="value"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="key"/> is empty or a duplicate.</exception>
    public void AddMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (key.Length == 0)
        {
            throw new ArgumentException("Metadata key must not be empty.", nameof(key));
        }

        if (!_metadataKeys.Add(key))
        {
            throw new ArgumentException($"Metadata key '{key}' has already been added.", nameof(key));
        }

        _metadata.Add(new KeyValuePair<string, string>(key, value));
    }

    /// <summary>Serializes everything added so far into a complete safetensors file (layout in the class remarks).</summary>
    /// <returns>The file's bytes.</returns>
    /// <exception cref="InvalidOperationException">The file would be larger than a .NET byte array can hold.</exception>
    public byte[] ToArray()
    {
        var header = new ArrayBufferWriter<byte>();
        long offset = 0;
        using (var json = new Utf8JsonWriter(header, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (_metadata.Count > 0)
            {
                json.WriteStartObject(MetadataKey);
                foreach (KeyValuePair<string, string> item in _metadata)
                {
                    json.WriteString(item.Key, item.Value);
                }

                json.WriteEndObject();
            }

            foreach ((string name, int[] shape, float[] data) in _tensors)
            {
                long end = offset + (long)data.Length * sizeof(float);
                json.WriteStartObject(name);
                json.WriteString("dtype", SafeTensorDTypes.ToHeaderString(SafeTensorDType.F32));
                json.WriteStartArray("shape");
                foreach (int dim in shape)
                {
                    json.WriteNumberValue(dim);
                }

                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(end);
                json.WriteEndArray();
                json.WriteEndObject();
                offset = end;
            }

            json.WriteEndObject();
        }

        int headerLength = header.WrittenCount;
        int padding = (8 - ((8 + headerLength) % 8)) % 8;
        headerLength += padding;
        long total = 8L + headerLength + offset;
        if (total > Array.MaxLength)
        {
            throw new InvalidOperationException(
                $"The safetensors file would be {total} bytes, more than a .NET array can hold.");
        }

        var bytes = new byte[total];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(0, 8), (ulong)headerLength);
        header.WrittenSpan.CopyTo(bytes.AsSpan(8));
        bytes.AsSpan(8 + header.WrittenCount, padding).Fill((byte)' ');

        int position = 8 + headerLength;
        foreach ((_, _, float[] data) in _tensors)
        {
            Span<byte> target = bytes.AsSpan(position, data.Length * sizeof(float));
            if (BitConverter.IsLittleEndian)
            {
                MemoryMarshal.AsBytes(data.AsSpan()).CopyTo(target);
            }
            else
            {
                for (int i = 0; i < data.Length; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(target.Slice(i * sizeof(float), sizeof(float)), data[i]);
                }
            }

            position += target.Length;
        }

        return bytes;
    }

    /// <summary>
    /// Writes the file produced by <see cref="ToArray"/> to <paramref name="path"/>, replacing any existing file.
    /// The bytes go to a temporary file in the same folder, which is then moved over <paramref name="path"/>, so a
    /// failed write never leaves a partial file at <paramref name="path"/> (the temporary file is deleted on failure).
    /// </summary>
    /// <param name="path">Destination file path; its folder must exist.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="DirectoryNotFoundException">The destination folder does not exist.</exception>
    /// <exception cref="IOException">Writing or moving the file failed.</exception>
    /// <exception cref="UnauthorizedAccessException">The destination cannot be written.</exception>
    /// <exception cref="InvalidOperationException">The file would be too large (see <see cref="ToArray"/>).</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = ToArray();

        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)
            ?? throw new ArgumentException($"Path '{path}' has no containing folder.", nameof(path));
        string tempPath = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(tempPath);
            }
            catch (IOException)
            {
                // Best effort: the original error is more useful than a cleanup failure.
            }
            catch (UnauthorizedAccessException)
            {
            }

            throw;
        }
    }
}
