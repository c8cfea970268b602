using System.Buffers.Binary;
using System.Text;
using FastWeights.Kernels.Interop;

namespace FastWeights.Tests.Kernels.Interop;

public sealed class SafeTensorsTests
{
    // ---------------------------------------------------------------- helpers

    /// <summary>8-byte little-endian length of the UTF-8 header, the header, then the data buffer.</summary>
    private static byte[] Build(string headerJson, byte[]? data = null) =>
        BuildRaw(Encoding.UTF8.GetBytes(headerJson), data ?? []);

    private static byte[] BuildRaw(byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    private static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }

        return bytes;
    }

    private static SafeTensorsFormatException Rejects(byte[] bytes, string fragment)
    {
        var ex = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Parse(bytes, "bad.safetensors"))!;
        Assert.That(ex.Message, Does.Contain(fragment));
        Assert.That(ex.Message, Does.Contain("bad.safetensors"));
        return ex;
    }

    private const string Ok = "\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]";

    // ---------------------------------------------------------------- round trips and layout

    [Test]
    public void RoundTrip_SeveralTensors_ScalarZeroSizeAndMetadata()
    {
        var matrix = new float[] { 1f, -2.5f, 3.25f, float.MaxValue, float.Epsilon, -0f };
        var writer = new SafeTensorsWriter();
        writer.AddMetadata("format", "pt");
        writer.AddMetadata("note", "ünïcode \"quoted\"");
        writer.Add("layer.0.weight", matrix, 2, 3);
        writer.Add("scale", new float[] { 0.5f });
        writer.Add("empty", ReadOnlySpan<float>.Empty, 0, 4);
        writer.Add("vector", new float[] { float.PositiveInfinity, float.NaN, 7f }, 3);

        SafeTensorsFile file = SafeTensorsFile.Parse(writer.ToArray());

        Assert.That(file.Metadata, Is.EquivalentTo(new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["note"] = "ünïcode \"quoted\"",
        }));
        Assert.That(file.Tensors.Select(t => t.Name), Is.EqualTo(new[] { "layer.0.weight", "scale", "empty", "vector" }));

        float[] m = file.ReadFloat32("layer.0.weight", out int[] mShape);
        Assert.That(mShape, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(m.Select(BitConverter.SingleToInt32Bits), Is.EqualTo(matrix.Select(BitConverter.SingleToInt32Bits)));

        float[] s = file.ReadFloat32("scale", out int[] sShape);
        Assert.That(sShape, Is.Empty);
        Assert.That(s, Is.EqualTo(new[] { 0.5f }));
        Assert.That(file.GetInfo("scale").ElementCount, Is.EqualTo(1));

        float[] e = file.ReadFloat32("empty", out int[] eShape);
        Assert.That(eShape, Is.EqualTo(new[] { 0, 4 }));
        Assert.That(e, Is.Empty);
        Assert.That(file.GetInfo("empty").ElementCount, Is.EqualTo(0));

        float[] v = file.ReadFloat32("vector", out _);
        Assert.That(float.IsPositiveInfinity(v[0]) && float.IsNaN(v[1]) && v[2] == 7f, Is.True);

        SafeTensorInfo info = file.GetInfo("layer.0.weight");
        Assert.That((info.DType, info.Begin, info.End, info.ByteLength), Is.EqualTo((SafeTensorDType.F32, 0L, 24L, 24L)));
        Assert.That(file.Contains("vector"), Is.True);
        Assert.That(file.Contains("Vector"), Is.False);
    }

    [Test]
    public void HandWrittenFile_IsReadExactly()
    {
        // Header padded with trailing spaces, as the spec allows; data of two tensors, the second first in the buffer.
        string json = "{\"__metadata__\":{\"k\":\"v\"},"
                      + "\"b\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[8,24]},"
                      + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}    ";
        byte[] data = Floats(1.5f, -2f, 10f, 20f, 30f, 40f);
        byte[] bytes = Build(json, data);
        Assert.That(BitConverter.ToUInt64(bytes, 0), Is.EqualTo((ulong)Encoding.UTF8.GetByteCount(json)));

        SafeTensorsFile file = SafeTensorsFile.Parse(bytes);

        Assert.That(file.Metadata["k"], Is.EqualTo("v"));
        Assert.That(file.Tensors.Select(t => t.Name), Is.EqualTo(new[] { "a", "b" }), "ordered by data offset");
        Assert.That(file.ReadFloat32("a", out int[] aShape), Is.EqualTo(new[] { 1.5f, -2f }));
        Assert.That(aShape, Is.EqualTo(new[] { 2 }));
        Assert.That(file.ReadFloat32("b", out int[] bShape), Is.EqualTo(new[] { 10f, 20f, 30f, 40f }));
        Assert.That(bShape, Is.EqualTo(new[] { 2, 2 }));
    }

    [Test]
    public void Writer_ProducesExpectedBytes()
    {
        var writer = new SafeTensorsWriter();
        writer.Add("w", new float[] { 1f, 2f }, 2);
        writer.AddMetadata("m", "x");
        byte[] bytes = writer.ToArray();

        string json = "{\"__metadata__\":{\"m\":\"x\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        int padded = json.Length;
        while ((8 + padded) % 8 != 0)
        {
            padded++;
        }

        byte[] expected = Build(json.PadRight(padded), Floats(1f, 2f));
        Assert.That(bytes, Is.EqualTo(expected));
        Assert.That((8 + (int)BitConverter.ToUInt64(bytes, 0)) % 8, Is.EqualTo(0), "data buffer is 8-byte aligned");
    }

    [Test]
    public void Writer_WithNothingAdded_WritesEmptyHeader()
    {
        SafeTensorsFile file = SafeTensorsFile.Parse(new SafeTensorsWriter().ToArray());
        Assert.That(file.Tensors, Is.Empty);
        Assert.That(file.Metadata, Is.Empty);
    }

    [Test]
    public void Parse_AcceptsUncoveredDataAndOtherDtypes()
    {
        // 4-byte gap between tensors and 3 trailing bytes; BF16 and I64 entries are parsed but not F32-readable.
        string json = "{\"h\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,6]},"
                      + "\"i\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[10,18]}}";
        SafeTensorsFile file = SafeTensorsFile.Parse(Build(json, new byte[21]));

        Assert.That(file.GetInfo("h").DType, Is.EqualTo(SafeTensorDType.BF16));
        Assert.That(file.GetInfo("i").ElementCount, Is.EqualTo(1));
        var ex = Assert.Throws<SafeTensorsFormatException>(() => file.ReadFloat32("h", out _))!;
        Assert.That(ex.Message, Does.Contain("BF16").And.Contain("F32").And.Contain("'h'"));
    }

    [Test]
    public void GetInfo_MissingTensor_ListsPresentNames()
    {
        var writer = new SafeTensorsWriter();
        writer.Add("alpha", new float[] { 1f }, 1);
        writer.Add("beta", new float[] { 1f }, 1);
        SafeTensorsFile file = SafeTensorsFile.Parse(writer.ToArray(), "model.safetensors");

        var ex = Assert.Throws<KeyNotFoundException>(() => file.GetInfo("gamma"))!;
        Assert.That(ex.Message, Does.Contain("'gamma'").And.Contain("'alpha'").And.Contain("'beta'").And.Contain("model.safetensors"));
        Assert.Throws<KeyNotFoundException>(() => file.ReadFloat32("gamma", out _));
    }

    [Test]
    public void SaveAndLoad_ThroughTempFile()
    {
        using var temp = new TempFolder("fw-safetensors-", create: true);
        string dir = temp.Path;
        string path = Path.Combine(dir, "model.safetensors");
        File.WriteAllText(path, "old contents to be replaced");
        var writer = new SafeTensorsWriter();
        writer.AddMetadata("epoch", "3");
        writer.Add("w", new float[] { 1f, 2f, 3f, 4f, 5f, 6f }, 3, 2);
        writer.Save(path);

        Assert.That(Directory.GetFiles(dir), Is.EqualTo(new[] { path }), "no temporary file left behind");
        SafeTensorsFile file = SafeTensorsFile.Load(path);
        Assert.That(file.SourceName, Is.EqualTo(path));
        Assert.That(file.Metadata["epoch"], Is.EqualTo("3"));
        Assert.That(file.ReadFloat32("w", out int[] shape), Is.EqualTo(new[] { 1f, 2f, 3f, 4f, 5f, 6f }));
        Assert.That(shape, Is.EqualTo(new[] { 3, 2 }));

        string missing = Path.Combine(dir, "missing.safetensors");
        var ex = Assert.Throws<FileNotFoundException>(() => SafeTensorsFile.Load(missing))!;
        Assert.That(ex.Message, Does.Contain(missing));

        // A corrupted file on disk reports its path.
        File.WriteAllBytes(path, [1, 2, 3]);
        var fex = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Load(path))!;
        Assert.That(fex.Message, Does.Contain(path));
    }

    // ---------------------------------------------------------------- writer argument validation

    [Test]
    public void Writer_RejectsBadArguments()
    {
        var writer = new SafeTensorsWriter();
        writer.Add("w", new float[] { 1f, 2f }, 2);

        Assert.That(Assert.Throws<ArgumentException>(() => writer.Add("x", new float[3], 2, 2))!.ParamName, Is.EqualTo("data"));
        Assert.That(Assert.Throws<ArgumentException>(() => writer.Add("s", new float[0]))!.ParamName, Is.EqualTo("data"), "scalar needs one value");
        Assert.That(Assert.Throws<ArgumentException>(() => writer.Add("", new float[1], 1))!.ParamName, Is.EqualTo("name"));
        Assert.That(Assert.Throws<ArgumentException>(() => writer.Add("w", new float[1], 1))!.ParamName, Is.EqualTo("name"));
        Assert.That(Assert.Throws<ArgumentException>(() => writer.Add("__metadata__", new float[1], 1))!.ParamName, Is.EqualTo("name"));
        Assert.That(Assert.Throws<ArgumentException>(() => writer.Add("n", new float[1], -1))!.ParamName, Is.EqualTo("shape"));
        Assert.That(Assert.Throws<ArgumentException>(() => writer.Add("o", new float[1], int.MaxValue, int.MaxValue, int.MaxValue))!.ParamName, Is.EqualTo("shape"));
        writer.AddMetadata("k", "v");
        Assert.That(Assert.Throws<ArgumentException>(() => writer.AddMetadata("k", "again"))!.ParamName, Is.EqualTo("key"));
        Assert.That(Assert.Throws<ArgumentException>(() => writer.AddMetadata("", "v"))!.ParamName, Is.EqualTo("key"));

        // Failed adds leave the writer unchanged.
        Assert.That(SafeTensorsFile.Parse(writer.ToArray()).Tensors.Select(t => t.Name), Is.EqualTo(new[] { "w" }));
    }

    // ---------------------------------------------------------------- rejections, one per rule

    [Test]
    public void Rejects_FileShorterThan8Bytes() => Rejects([1, 0, 0, 0], "shorter than the 8-byte header length");

    [Test]
    public void Rejects_HeaderLengthZero() => Rejects(BuildRaw([], new byte[16]), "header length is 0");

    [Test]
    public void Rejects_HeaderLengthBeyondFile()
    {
        byte[] bytes = Build("{}");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 1000);
        Rejects(bytes, "header length 1000 is larger than");
    }

    [Test]
    public void Rejects_AbsurdHeaderLength()
    {
        byte[] bytes = Build("{}");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        Rejects(bytes, "exceeds the limit");
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 100_000_001);
        Rejects(bytes, "header length");
    }

    [Test]
    public void Rejects_HeaderNotUtf8() => Rejects(BuildRaw([(byte)'{', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}'], []), "UTF-8");

    [TestCase("{\"a\":")]
    [TestCase("{\"a\":{}} trailing")]
    [TestCase("{'a':1}")]
    public void Rejects_HeaderNotJson(string json) => Rejects(Build(json), "not valid JSON");

    [TestCase("[]")]
    [TestCase("\"text\"")]
    [TestCase("42")]
    public void Rejects_HeaderNotObject(string json) => Rejects(Build(json), "must be a JSON object");

    [TestCase("\"shape\":[2],\"data_offsets\":[0,8]", "missing field 'dtype'")]
    [TestCase("\"dtype\":\"F32\",\"data_offsets\":[0,8]", "missing field 'shape'")]
    [TestCase("\"dtype\":\"F32\",\"shape\":[2]", "missing field 'data_offsets'")]
    public void Rejects_EntryMissingField(string fields, string fragment)
    {
        SafeTensorsFormatException ex = Rejects(Build("{\"t\":{" + fields + "}}", new byte[8]), fragment);
        Assert.That(ex.TensorName, Is.EqualTo("t"));
        Assert.That(ex.Message, Does.Contain("tensor 't'"));
    }

    [TestCase("\"t\":[1,2]", "entry must be a JSON object")]
    [TestCase("\"t\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}", "'dtype' must be a string")]
    [TestCase("\"t\":{\"dtype\":\"F32\",\"shape\":2,\"data_offsets\":[0,8]}", "'shape' must be a JSON array")]
    [TestCase("\"t\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}", "'shape' must contain only integers")]
    [TestCase("\"t\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}", "'shape' must contain only integers")]
    [TestCase("\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":\"0-8\"}", "'data_offsets' must be an array")]
    [TestCase("\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"dtype\":\"F32\"}", "'dtype' appears more than once")]
    [TestCase("\"__metadata__\":[\"a\"]", "'__metadata__' must be a JSON object")]
    public void Rejects_WrongJsonTypes(string entries, string fragment) =>
        Rejects(Build("{" + entries + "}", new byte[8]), fragment);

    [Test]
    public void Rejects_MetadataValueNotString() =>
        Rejects(Build("{\"__metadata__\":{\"epoch\":3},\"t\":{" + Ok + "}}", new byte[8]), "value for key 'epoch' must be a string");

    [Test]
    public void Rejects_DuplicateMetadataKeyOrEntry()
    {
        Rejects(Build("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}"), "duplicate key 'a'");
        Rejects(Build("{\"__metadata__\":{},\"__metadata__\":{}}"), "duplicate '__metadata__'");
    }

    [TestCase("f32")]
    [TestCase("FLOAT32")]
    [TestCase("F8_E4M3")]
    public void Rejects_UnknownDtype(string dtype) =>
        Rejects(Build("{\"t\":{\"dtype\":\"" + dtype + "\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]), "unknown dtype '" + dtype + "'");

    [Test]
    public void Rejects_NegativeDimension() =>
        Rejects(Build("{\"t\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", new byte[8]), "negative dimension -2");

    [Test]
    public void Rejects_DimensionTooLarge() =>
        Rejects(Build("{\"t\":{\"dtype\":\"U8\",\"shape\":[4294967296],\"data_offsets\":[0,0]}}"), "exceeds the supported maximum");

    [TestCase("[0]", "exactly two")]
    [TestCase("[0,4,8]", "exactly two")]
    [TestCase("[0,\"8\"]", "two non-negative integers")]
    [TestCase("[0.0,8]", "two non-negative integers")]
    [TestCase("[-8,0]", "two non-negative integers")]
    public void Rejects_DataOffsetsNotTwoIntegers(string offsets, string fragment) =>
        Rejects(Build("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":" + offsets + "}}", new byte[8]), fragment);

    [Test]
    public void Rejects_DataOffsetsBeginAfterEnd() =>
        Rejects(Build("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", new byte[16]), "begin 8 is greater than end 0");

    [Test]
    public void Rejects_DataOffsetsOutsideBuffer()
    {
        Rejects(Build("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[8]), "outside the data buffer");
        Rejects(Build("{\"t\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[9,9]}}", new byte[8]), "outside the data buffer");
        Rejects(Build("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,18446744073709551615]}}", new byte[8]), "outside the data buffer");
    }

    [TestCase("F32", "[3]", "[0,8]")]
    [TestCase("F64", "[2]", "[0,8]")]
    [TestCase("BF16", "[2,2]", "[0,4]")]
    [TestCase("F32", "[]", "[0,0]")]
    public void Rejects_ByteLengthNotElementCountTimesSize(string dtype, string shape, string offsets) =>
        Rejects(Build("{\"t\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}}", new byte[16]), "bytes, but shape");

    [Test]
    public void Rejects_ShapeProductOverflow() =>
        Rejects(Build("{\"t\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,0]}}"), "overflows");

    [Test]
    public void Rejects_ByteSizeOverflow() =>
        Rejects(Build("{\"t\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,4],\"data_offsets\":[0,0]}}"), "overflows");

    [Test]
    public void Rejects_DuplicateTensorNames()
    {
        SafeTensorsFormatException ex = Rejects(Build("{\"t\":{" + Ok + "},\"t\":{" + Ok + "}}", new byte[8]), "duplicate tensor name");
        Assert.That(ex.TensorName, Is.EqualTo("t"));
    }

    [Test]
    public void Rejects_OverlappingRanges()
    {
        string json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                      + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
        Rejects(Build(json, new byte[16]), "overlap");

        // A range nested inside another also overlaps; empty ranges at the same offset do not.
        string nested = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                        + "\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[4,5]}}";
        Rejects(Build(nested, new byte[16]), "overlap");
        string empties = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                         + "\"b\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]},"
                         + "\"c\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}";
        Assert.That(SafeTensorsFile.Parse(Build(empties, new byte[8])).Tensors, Has.Count.EqualTo(3));
    }
}
