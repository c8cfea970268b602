using System.Security.Cryptography;
using System.Text;
using FastWeights.Kernels.Interop;
using FastWeights.Model.Parameters;
using FastWeights.Model.Training;

namespace FastWeights.Tests.Model.Training;

/// <summary>
/// A checkpoint is one atomic, verified unit: both files from one save (same id and step), each with a checksum of its
/// own bytes; torn, mixed, corrupt or out-of-range checkpoints are refused and the targets left untouched; a save
/// replaces the previous checkpoint only once the new one is complete, and never writes non-finite values.
/// </summary>
public sealed class CheckpointIntegrityTests : AcceleratorFixture
{
    private static readonly Dictionary<string, string> Meta = new() { ["arch"] = "tiny" };
    private TempFolder temp = null!;
    private string root = "";
    private string dir = "";

    [SetUp]
    public void SetUp()
    {
        temp = new TempFolder("fw-integrity-", create: true);
        root = temp.Path;
        dir = Path.Combine(root, "checkpoint");
    }

    [TearDown]
    public void TearDown() => temp.Dispose();

    private AdamOptimizer Trained(TinyModule module, int steps)
    {
        var adam = new AdamOptimizer(Acc, module.Parameters, new AdamOptions());
        var rng = new Random(3);
        for (int s = 0; s < steps; s++)
        {
            foreach (Parameter p in module.Parameters) TinyModule.SetGrad(p, TinyModule.AwayFromZero(rng, p.Length, 0.1, 1));
            adam.Step(Acc.DefaultStream, 1e-2f, 1f);
        }
        Acc.Synchronize();
        return adam;
    }

    private static uint[] Bits(TinyModule m) => m.Values().SelectMany(v => v).Select(BitConverter.SingleToUInt32Bits).ToArray();

    private static uint[] StateBits(AdamOptimizer a) =>
        a.State.SelectMany(s => s.M.GetAsArray1D().Concat(s.V.GetAsArray1D())).Select(BitConverter.SingleToUInt32Bits).ToArray();

    /// <summary>Loading both into fresh targets must fail with a message containing every fragment, leaving both untouched.</summary>
    private void Refused(params string[] fragments)
    {
        using var model = TinyModule.Random(50);
        using var adam = Trained(model, 1);
        var (before, stateBefore) = (Bits(model), StateBits(adam));
        var ex = Assert.Throws<CheckpointException>(() => Checkpoint.Load(dir, model, adam))!;
        foreach (string f in fragments) Assert.That(ex.Message, Does.Contain(f));
        Assert.That(ex.Message, Does.Not.Contain("\n"));
        Assert.That(Bits(model), Is.EqualTo(before), "the model must be untouched");
        Assert.That(StateBits(adam), Is.EqualTo(stateBefore), "the optimizer must be untouched");
        Assert.That(adam.StepCount, Is.EqualTo(1));
    }

    /// <summary>
    /// Rewrites a checkpoint file with <paramref name="edit"/> applied to its metadata and values and a correct checksum
    /// (the format's rule: SHA-256 of the file with the checksum's 64 hex digits zeroed), to show that checks beyond the
    /// checksum hold even for a well-formed file.
    /// </summary>
    private static void Reseal(string path, Action<Dictionary<string, string>, Dictionary<string, float[]>> edit)
    {
        var file = SafeTensorsFile.Load(path);
        var metadata = file.Metadata.Where(kv => kv.Key != Checkpoint.ChecksumKey).ToDictionary(kv => kv.Key, kv => kv.Value);
        var values = file.Tensors.ToDictionary(t => t.Name, t => file.ReadFloat32(t.Name, out _));
        edit(metadata, values);
        var writer = new SafeTensorsWriter();
        foreach (var (k, v) in metadata) writer.AddMetadata(k, v);
        string zeros = new('0', 64);
        writer.AddMetadata(Checkpoint.ChecksumKey, zeros);
        foreach (var t in file.Tensors) writer.Add(t.Name, values[t.Name], t.Shape);
        byte[] bytes = writer.ToArray();
        int at = Encoding.ASCII.GetString(bytes).IndexOf("\"" + zeros + "\"", StringComparison.Ordinal) + 1;
        Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(bytes))).CopyTo(bytes, at);
        File.WriteAllBytes(path, bytes);
    }

    private string ModelPath => Path.Combine(dir, Checkpoint.ModelFileName);
    private string OptimizerPath => Path.Combine(dir, Checkpoint.OptimizerFileName);

    private void SaveTrained(int seed, int steps)
    {
        using var model = TinyModule.Random(seed);
        using var adam = Trained(model, steps);
        Checkpoint.Save(dir, model, Meta, adam);
    }

    [Test]
    public void BothFilesCarryOneIdTheStepAndAChecksum()
    {
        SaveTrained(1, 4);
        var m = SafeTensorsFile.Load(ModelPath).Metadata;
        var o = SafeTensorsFile.Load(OptimizerPath).Metadata;
        Assert.That(m[Checkpoint.IdKey], Is.EqualTo(o[Checkpoint.IdKey]).And.Length.EqualTo(32));
        Assert.That((m[Checkpoint.ModelStepKey], o[Checkpoint.StepKey]), Is.EqualTo(("4", "4")));
        Assert.That(m[Checkpoint.ChecksumKey], Does.Match("^[0-9a-f]{64}$"));
        Assert.That(o[Checkpoint.ChecksumKey], Does.Match("^[0-9a-f]{64}$").And.Not.EqualTo(m[Checkpoint.ChecksumKey]));
        Assert.That(Checkpoint.ReadMetadata(dir), Is.EquivalentTo(Meta), "the reserved keys are not the caller's metadata");

        using var model = TinyModule.Random(9);
        using var adam = Trained(model, 1);
        Checkpoint.Load(dir, model, adam);
        Assert.That(adam.StepCount, Is.EqualTo(4));
    }

    [TestCase(0.1, "model")]
    [TestCase(0.6, "model")]
    [TestCase(0.999, "model")]
    [TestCase(0.5, "optimizer")]
    public void AnyFlippedBitIsRefusedAsCorrupt(double where, string which)
    {
        SaveTrained(1, 2);
        string path = which == "model" ? ModelPath : OptimizerPath;
        byte[] bytes = File.ReadAllBytes(path);
        int at = Math.Min(bytes.Length - 1, 8 + (int)(where * (bytes.Length - 8)));
        bytes[at] ^= 0x04;
        File.WriteAllBytes(path, bytes);
        // A flip in the header may break the JSON instead; either way one line that names the file.
        using var model = TinyModule.Random(50);
        using var adam = Trained(model, 1);
        var ex = Assert.Throws<CheckpointException>(() => Checkpoint.Load(dir, model, adam))!;
        Assert.That(ex.Message, Does.Contain(Path.GetFileName(path)));
        Assert.That(ex.Message, Does.Contain("corrupt").Or.Contain("not a valid safetensors").Or.Contain("malformed").Or.Contain("does not match"));
    }

    [Test]
    public void AFlippedDataBitSaysCorrupt()
    {
        SaveTrained(1, 2);
        byte[] bytes = File.ReadAllBytes(ModelPath);
        bytes[^3] ^= 0x01; // the last tensor's data: still a valid safetensors file, only the checksum can tell
        File.WriteAllBytes(ModelPath, bytes);
        Refused("model.safetensors' is corrupt");
    }

    [Test]
    public void TruncatedFilesAreRefused()
    {
        SaveTrained(1, 2);
        byte[] bytes = File.ReadAllBytes(OptimizerPath);
        File.WriteAllBytes(OptimizerPath, bytes[..(bytes.Length / 2)]);
        Refused("optimizer.safetensors", "not a valid safetensors file");
    }

    [Test]
    public void AnOptimizerFromAnotherSaveIsRefusedEvenAtTheSameStep()
    {
        // The torn checkpoint of the issue: model of one save beside the optimizer of another.
        SaveTrained(1, 3);
        string other = Path.Combine(root, "other");
        using (var model = TinyModule.Random(2))
        using (var adam = Trained(model, 3))
            Checkpoint.Save(other, model, Meta, adam);
        File.Copy(Path.Combine(other, Checkpoint.OptimizerFileName), OptimizerPath, overwrite: true);
        Refused("come from different saves", "torn or mixed");
    }

    [Test]
    public void FilesAtDifferentStepsAreRefused()
    {
        SaveTrained(1, 3);
        Reseal(OptimizerPath, (m, _) => m[Checkpoint.StepKey] = "2");
        Refused("optimizer.safetensors is at step 2 but model.safetensors at step 3");
    }

    [TestCase("9223372036854775807")]
    [TestCase("9007199254740993")]
    [TestCase("-1")]
    [TestCase("3.0")]
    public void AnOutOfRangeStepIsRefused(string step)
    {
        SaveTrained(1, 3);
        Reseal(OptimizerPath, (m, _) => m[Checkpoint.StepKey] = step);
        Reseal(ModelPath, (m, _) => m[Checkpoint.ModelStepKey] = step);
        Refused($"'step' expected an integer from 0 to 2^53, found '{step}'");
    }

    [Test]
    public void NonFiniteWeightsAndNegativeSecondMomentsAreRefused()
    {
        SaveTrained(1, 2);
        Reseal(ModelPath, (_, v) => v["tiny.bias"][3] = float.NaN);
        Refused("tensor 'tiny.bias' holds NaN at index 3");

        SaveTrained(1, 2);
        Reseal(OptimizerPath, (_, v) => v["tiny.gain.v"][0] = -1f);
        Refused("tensor 'tiny.gain.v' holds -1 at index 0", "≥ 0");
    }

    [Test]
    public void AFileWithoutChecksumIsRefused()
    {
        SaveTrained(1, 2);
        var file = SafeTensorsFile.Load(ModelPath);
        var writer = new SafeTensorsWriter();
        foreach (var (k, v) in file.Metadata) if (k != Checkpoint.ChecksumKey) writer.AddMetadata(k, v);
        foreach (var t in file.Tensors) writer.Add(t.Name, file.ReadFloat32(t.Name, out _), t.Shape);
        writer.Save(ModelPath);
        Refused("has no checksum");
    }

    [Test]
    public void SavingNonFiniteValuesWritesNothingAndKeepsThePreviousCheckpoint()
    {
        SaveTrained(1, 2);
        byte[] good = File.ReadAllBytes(ModelPath);
        using var model = TinyModule.Random(4);
        using var adam = Trained(model, 5);
        var values = model.Parameters[1].Download();
        values[2] = float.PositiveInfinity;
        model.Parameters[1].Upload(values);
        var ex = Assert.Throws<CheckpointException>(() => Checkpoint.Save(dir, model, Meta, adam))!;
        Assert.That(ex.Message, Does.Contain("refusing to save: tensor 'tiny.bias' holds ∞ at index 2").Or.Contain("holds Infinity at index 2"));
        Assert.That(File.ReadAllBytes(ModelPath), Is.EqualTo(good));
        Assert.That(Directory.GetDirectories(root), Is.EqualTo(new[] { dir }), "no temporary folder left");
    }

    [Test]
    public void ASaveKilledBetweenItsRenamesLeavesThePreviousCheckpointWhichLoads()
    {
        SaveTrained(1, 2);
        // The state a kill between "checkpoint → checkpoint.prev" and "tmp → checkpoint" leaves, plus a half-written temporary folder.
        Directory.Move(dir, dir + ".prev");
        Directory.CreateDirectory(dir + ".tmp-deadbeef");
        File.WriteAllBytes(Path.Combine(dir + ".tmp-deadbeef", Checkpoint.ModelFileName), [1, 2, 3]);
        Assert.That(Checkpoint.Locate(dir), Is.EqualTo(dir + ".prev"));
        using (var model = TinyModule.Random(9))
        using (var adam = Trained(model, 1))
        {
            Checkpoint.Load(dir, model, adam);
            Assert.That(adam.StepCount, Is.EqualTo(2));
        }

        SaveTrained(3, 5); // the next save cleans both up
        Assert.That(Directory.GetDirectories(root), Is.EqualTo(new[] { dir }));
        Assert.That(SafeTensorsFile.Load(OptimizerPath).Metadata[Checkpoint.StepKey], Is.EqualTo("5"));
    }

    [Test]
    public void ASaveNeverReplacesAFolderThatHoldsOtherFiles()
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "mine");
        using var model = TinyModule.Random(1);
        var ex = Assert.Throws<IOException>(() => Checkpoint.Save(dir, model, Meta, null))!;
        Assert.That(ex.Message, Does.Contain("notes.txt"));
        Assert.That(File.ReadAllText(Path.Combine(dir, "notes.txt")), Is.EqualTo("mine"));
    }

    [Test]
    public void ReservedMetadataKeysAreRefused()
    {
        using var model = TinyModule.Random(1);
        var ex = Assert.Throws<ArgumentException>(() => Checkpoint.Save(dir, model, new Dictionary<string, string> { ["checkpoint.step"] = "1" }, null))!;
        Assert.That(ex.ParamName, Is.EqualTo("metadata"));
    }
}
