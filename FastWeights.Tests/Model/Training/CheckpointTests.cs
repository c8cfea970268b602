using System.Buffers.Binary;
using System.Text;
using FastWeights.Model.Parameters;
using FastWeights.Model.Training;

namespace FastWeights.Tests.Model.Training;

public sealed class CheckpointTests : AcceleratorFixture
{
    private static readonly Dictionary<string, string> Meta = new()
    {
        ["arch"] = "fast-weight-rnn",
        ["hidden"] = "16",
        ["decay"] = "0.95",
    };

    private TempFolder temp = null!;
    private string dir = "";

    [SetUp]
    public void SetUp() => dir = (temp = new TempFolder("fw-ckpt-")).Path;

    [TearDown]
    public void TearDown() => temp.Dispose();

    private static uint[][] Bits(float[][] values) =>
        values.Select(v => v.Select(BitConverter.SingleToUInt32Bits).ToArray()).ToArray();

    private static uint[][] Bits(TinyModule module) => Bits(module.Values());

    private static uint[][] StateBits(AdamOptimizer adam) =>
        Bits(adam.State.SelectMany(s => new[] { s.M.GetAsArray1D(), s.V.GetAsArray1D() }).ToArray());

    private AdamOptimizer Trained(TinyModule module, int steps, AdamOptions? options = null)
    {
        var adam = new AdamOptimizer(Acc, module.Parameters, options ?? new AdamOptions { WeightDecay = 0.01 });
        var rng = new Random(77);
        for (int s = 0; s < steps; s++)
        {
            foreach (Parameter p in module.Parameters)
                TinyModule.SetGrad(p, TinyModule.AwayFromZero(rng, p.Length, 0.1, 1));
            adam.Step(Acc.DefaultStream, 1e-2f, 0.8f);
        }
        Acc.Synchronize();
        return adam;
    }

    /// <summary>Loading must throw a CheckpointException naming <paramref name="tensor"/> and leave the target as it was.</summary>
    private CheckpointException RejectsModel(string tensor, params string[] fragments)
    {
        using var target = TinyModule.Random(99);
        var before = Bits(target);
        var ex = Assert.Throws<CheckpointException>(() => Checkpoint.LoadModel(dir, target))!;
        Assert.That(ex.Message, Does.Contain(tensor + "'"));
        foreach (string f in fragments) Assert.That(ex.Message, Does.Contain(f));
        Assert.That(Bits(target), Is.EqualTo(before), "the target must be untouched");
        return ex;
    }

    [Test]
    public void ModelRoundTripIsBitExactAndReturnsMetadata()
    {
        using var source = TinyModule.Random(1);
        Checkpoint.Save(dir, source, Meta, null);
        Assert.That(File.Exists(Path.Combine(dir, Checkpoint.ModelFileName)));
        Assert.That(File.Exists(Path.Combine(dir, Checkpoint.OptimizerFileName)), Is.False);

        using var target = TinyModule.Random(2);
        Assert.That(Bits(target), Is.Not.EqualTo(Bits(source)));
        var metadata = Checkpoint.LoadModel(dir, target);
        Assert.That(Bits(target), Is.EqualTo(Bits(source)));
        Assert.That(metadata, Is.EquivalentTo(Meta));
        Assert.That(Checkpoint.ReadMetadata(dir), Is.EquivalentTo(Meta));
    }

    [Test]
    public void SaveWritesEveryParameterUnderItsNameAndShape()
    {
        using var source = TinyModule.Random(1);
        Checkpoint.Save(dir, source, Meta, null);
        var file = FastWeights.Kernels.Interop.SafeTensorsFile.Load(Path.Combine(dir, Checkpoint.ModelFileName));
        Assert.That(file.Tensors.Select(t => t.Name), Is.EqualTo(source.Parameters.Select(p => p.Name)));
        foreach (Parameter p in source.Parameters)
        {
            Assert.That(file.ReadFloat32(p.Name, out int[] shape), Is.EqualTo(p.Download()));
            Assert.That(shape, Is.EqualTo(p.Shape));
        }
    }

    [Test]
    public void SaveOverwritesAnExistingCheckpoint()
    {
        using var first = TinyModule.Random(1);
        using var second = TinyModule.Random(2);
        Checkpoint.Save(dir, first, Meta, null);
        Checkpoint.Save(dir, second, new Dictionary<string, string> { ["run"] = "2" }, null);
        using var target = TinyModule.Random(3);
        Assert.That(Checkpoint.LoadModel(dir, target), Is.EquivalentTo(new Dictionary<string, string> { ["run"] = "2" }));
        Assert.That(Bits(target), Is.EqualTo(Bits(second)));
        Assert.That(Directory.GetFiles(dir).Select(Path.GetFileName), Is.EquivalentTo(new[] { Checkpoint.ModelFileName }), "no temporary files left");
    }

    [Test]
    public void OptimizerRoundTripRestoresStepCountAndMomentsAndResumesIdentically()
    {
        using var source = TinyModule.Random(1);
        using var adam = Trained(source, 3);
        Checkpoint.Save(dir, source, Meta, adam);

        using var target = TinyModule.Random(2);
        using var resumed = new AdamOptimizer(Acc, target.Parameters, new AdamOptions { WeightDecay = 0.01 });
        Checkpoint.LoadModel(dir, target);
        Checkpoint.LoadOptimizer(dir, resumed);
        Assert.That(resumed.StepCount, Is.EqualTo(3));
        Assert.That(StateBits(resumed), Is.EqualTo(StateBits(adam)));

        // One more identical step on both: bit-identical values (bias correction uses the restored count).
        var rng = new Random(5);
        foreach (var (a, b) in source.Parameters.Zip(target.Parameters))
        {
            var g = TinyModule.AwayFromZero(rng, a.Length, 0.1, 1);
            TinyModule.SetGrad(a, g);
            TinyModule.SetGrad(b, g);
        }
        adam.Step(Acc.DefaultStream, 1e-2f, 1f);
        resumed.Step(Acc.DefaultStream, 1e-2f, 1f);
        Acc.Synchronize();
        Assert.That(Bits(target), Is.EqualTo(Bits(source)));

        var optimizerMeta = FastWeights.Kernels.Interop.SafeTensorsFile.Load(Path.Combine(dir, Checkpoint.OptimizerFileName)).Metadata;
        Assert.That(optimizerMeta["step"], Is.EqualTo("3"));
        Assert.That(optimizerMeta["weight_decay"], Is.EqualTo("0.01"));
        Assert.That(optimizerMeta.Keys, Is.SupersetOf(new[] { "learning_rate", "beta1", "beta2", "epsilon" }));
    }

    [Test]
    public void MissingTensorIsRejected()
    {
        using var partial = TinyModule.Random(1, TinyModule.Standard[0], TinyModule.Standard[2]);
        Checkpoint.Save(dir, partial, Meta, null);
        var ex = RejectsModel("tiny.bias", "expected F32 [7]", "missing");
        Assert.That(ex.TensorName, Is.EqualTo("tiny.bias"));
    }

    [Test]
    public void ExtraTensorIsRejectedEvenThoughEveryExpectedTensorMatches()
    {
        using var bigger = TinyModule.Random(1, [.. TinyModule.Standard, ("tiny.extra", [4])]);
        Checkpoint.Save(dir, bigger, Meta, null);
        RejectsModel("tiny.extra", "unexpected", "found F32 [4]");
    }

    [Test]
    public void WrongShapeIsRejected()
    {
        using var transposed = TinyModule.Random(1, ("tiny.weight", [5, 3]), TinyModule.Standard[1], TinyModule.Standard[2]);
        Checkpoint.Save(dir, transposed, Meta, null);
        RejectsModel("tiny.weight", "expected shape [3,5]", "found [5,3]");
    }

    [Test]
    public void SameElementCountInOtherRankIsRejected()
    {
        using var flat = TinyModule.Random(1, TinyModule.Standard[0], TinyModule.Standard[1], ("tiny.gain", [18]));
        Checkpoint.Save(dir, flat, Meta, null);
        RejectsModel("tiny.gain", "expected shape [2,3,3]", "found [18]");
    }

    [TestCase("BF16", 2)]
    [TestCase("F64", 8)]
    [TestCase("F16", 2)]
    public void WrongDtypeIsRejected(string dtype, int elementSize)
    {
        // tiny.weight [3,5] F32 (correct), tiny.bias [7] in another dtype, tiny.gain [2,3,3] F32 (correct).
        int weightBytes = 15 * 4, biasBytes = 7 * elementSize, gainBytes = 18 * 4;
        string header =
            $"{{\"tiny.weight\":{{\"dtype\":\"F32\",\"shape\":[3,5],\"data_offsets\":[0,{weightBytes}]}}," +
            $"\"tiny.bias\":{{\"dtype\":\"{dtype}\",\"shape\":[7],\"data_offsets\":[{weightBytes},{weightBytes + biasBytes}]}}," +
            $"\"tiny.gain\":{{\"dtype\":\"F32\",\"shape\":[2,3,3],\"data_offsets\":[{weightBytes + biasBytes},{weightBytes + biasBytes + gainBytes}]}}}}";
        byte[] headerBytes = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + headerBytes.Length + weightBytes + biasBytes + gainBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)headerBytes.Length);
        headerBytes.CopyTo(bytes, 8);
        var data = bytes.AsSpan(8 + headerBytes.Length);
        for (int i = 0; i < data.Length; i += 4)
            if (i + 4 <= data.Length) BinaryPrimitives.WriteSingleLittleEndian(data[i..], 0.25f);
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, Checkpoint.ModelFileName), bytes);

        RejectsModel("tiny.bias", "expected dtype F32", $"found {dtype}");
    }

    [Test]
    public void MissingFileOrDirectoryIsRejected()
    {
        RejectsModel(Checkpoint.ModelFileName, "not found");
        Assert.Throws<CheckpointException>(() => Checkpoint.ReadMetadata(dir));
        Directory.CreateDirectory(dir);
        RejectsModel(Checkpoint.ModelFileName, "not found");
    }

    [Test]
    public void MalformedFileIsRejected()
    {
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, Checkpoint.ModelFileName), [1, 2, 3]);
        RejectsModel(Checkpoint.ModelFileName, "not a valid safetensors file");
    }

    [Test]
    public void OptimizerMismatchesLeaveTheOptimizerUnchanged()
    {
        using var source = TinyModule.Random(1);
        using var target = TinyModule.Random(2);
        using var adam = Trained(target, 2);
        var before = StateBits(adam);

        void Rejects(string tensor, params string[] fragments)
        {
            var ex = Assert.Throws<CheckpointException>(() => Checkpoint.LoadOptimizer(dir, adam))!;
            Assert.That(ex.Message, Does.Contain(tensor + "'"));
            foreach (string f in fragments) Assert.That(ex.Message, Does.Contain(f));
            Assert.That(adam.StepCount, Is.EqualTo(2));
            Assert.That(StateBits(adam), Is.EqualTo(before));
        }

        // No optimizer file at all.
        Checkpoint.Save(dir, source, Meta, null);
        Rejects(Checkpoint.OptimizerFileName, "not found");

        // Moments of a model whose bias has another shape.
        using var other = TinyModule.Random(3, TinyModule.Standard[0], ("tiny.bias", [8]), TinyModule.Standard[2]);
        using (var otherAdam = Trained(other, 1)) Checkpoint.Save(dir, other, Meta, otherAdam);
        Rejects("tiny.bias.m", "expected shape [7]", "found [8]");

        // Moments of a model that lacks one parameter.
        using var fewer = TinyModule.Random(4, TinyModule.Standard[0], TinyModule.Standard[1]);
        using (var fewerAdam = Trained(fewer, 1)) Checkpoint.Save(dir, fewer, Meta, fewerAdam);
        Rejects("tiny.gain.m", "missing");
    }

    [Test]
    public void OptimizerFileWithoutValidStepIsRejected()
    {
        using var source = TinyModule.Random(1);
        using var adam = Trained(source, 2);
        Checkpoint.Save(dir, source, Meta, null); // the model file beside it, which the optimizer file is checked against
        var writer = new FastWeights.Kernels.Interop.SafeTensorsWriter();
        writer.AddMetadata("step", "-3");
        foreach (var (name, m, v) in adam.State)
        {
            var shape = source.Parameters.First(p => p.Name == name).Shape;
            writer.Add(name + ".m", new float[m.Length], shape);
            writer.Add(name + ".v", new float[v.Length], shape);
        }
        writer.Save(Path.Combine(dir, Checkpoint.OptimizerFileName));
        var before = StateBits(adam);
        var ex = Assert.Throws<CheckpointException>(() => Checkpoint.LoadOptimizer(dir, adam))!;
        Assert.That(ex.Message, Does.Contain("'step'"));
        Assert.That(adam.StepCount, Is.EqualTo(2));
        Assert.That(StateBits(adam), Is.EqualTo(before));
    }

    [Test]
    public void ArgumentsAreValidated()
    {
        using var module = TinyModule.Random(1);
        Assert.Throws<ArgumentException>(() => Checkpoint.Save("", module, Meta, null));
        Assert.That(Assert.Throws<ArgumentNullException>(() => Checkpoint.Save(dir, null!, Meta, null))!.ParamName, Is.EqualTo("model"));
        Assert.That(Assert.Throws<ArgumentNullException>(() => Checkpoint.Save(dir, module, null!, null))!.ParamName, Is.EqualTo("metadata"));
        Assert.That(Assert.Throws<ArgumentNullException>(() => Checkpoint.LoadModel(dir, null!))!.ParamName, Is.EqualTo("model"));
        Assert.That(Assert.Throws<ArgumentNullException>(() => Checkpoint.LoadOptimizer(dir, null!))!.ParamName, Is.EqualTo("optimizer"));
        using var a = new Parameter(Acc, "dup.x", 2);
        using var b = new Parameter(Acc, "dup.x", 3);
        var duplicate = new ListModule([a, b]);
        Assert.That(Assert.Throws<ArgumentException>(() => Checkpoint.Save(dir, duplicate, Meta, null))!.ParamName, Is.EqualTo("model"));
        Assert.That(Directory.Exists(dir), Is.False, "nothing written on a rejected save");
    }

    private sealed class ListModule(IReadOnlyList<Parameter> parameters) : IModule
    {
        public IReadOnlyList<Parameter> Parameters => parameters;
    }
}
