using FastWeights.Kernels.Interop;
using FastWeights.Model.Training;

namespace FastWeights.Tests.Bench.Retrieval;

/// <summary>
/// A disk that fills up while a checkpoint is being written (fault injection through
/// <see cref="CheckpointDirectory.StreamFault"/>: after a given number of bytes every write throws the IOException a full
/// disk gives, ENOSPC). The command must stop with one line naming the problem, the run folder must still hold the last
/// good checkpoint (loadable, nothing half-written left beside it), and resuming once space is back must continue
/// bit-exactly: 10 steps, a failed save, then resume to 20 equals 20 steps in one go.
/// </summary>
[NonParallelizable]
public sealed class DiskFullTests() : CliFixture("fw-diskfull-")
{
    [TearDown]
    public void RemoveFault() => CheckpointDirectory.StreamFault = null;

    /// <summary>Accepts <c>room</c> more bytes in all (shared by every file of the save), then fails like a full disk.</summary>
    private sealed class FillingStream(Stream inner, long[] room) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            int fits = (int)Math.Min(buffer.Length, room[0]);
            inner.Write(buffer[..fits]);
            room[0] -= fits;
            if (fits < buffer.Length)
                throw new IOException("No space left on device", 28);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    private static readonly string[] Run =
        ["--hidden", "8", "--eval-every", "5", "--batch", "16", "--train-size", "400", "--val-size", "50", "--test-size", "50",
         "--seed", "4", "--accelerator", "cpu"];

    /// <summary>The disk fills at the first byte of a save, inside the model file, and inside the optimizer file.</summary>
    [TestCase(0L)]
    [TestCase(200L)]
    [TestCase(-1L)]
    public void ASaveThatFillsTheDisk_StopsCleanly_KeepsTheLastCheckpoint_AndResumesExactly(long room)
    {
        string whole = Path.Combine(root, $"whole{room}"), run = Path.Combine(root, $"run{room}");
        Assert.That(Invoke(["retrieval", "--out", whole, "--steps", "20", .. Run]).Code, Is.EqualTo(0));
        Assert.That(Invoke(["retrieval", "--out", run, "--steps", "10", .. Run]).Code, Is.EqualTo(0));
        uint[] atTen = ModelBits(run);
        long modelBytes = new FileInfo(Path.Combine(run, "checkpoint", Checkpoint.ModelFileName)).Length;

        // -1: room for the whole model file and 100 bytes of the optimizer's.
        var left = new[] { room >= 0 ? room : modelBytes + 100 };
        CheckpointDirectory.StreamFault = s => new FillingStream(s, left);
        var failed = Invoke("retrieval", "--resume", run, "--steps", "20");
        CheckpointDirectory.StreamFault = null;

        Assert.Multiple(() =>
        {
            Assert.That(failed.Code, Is.EqualTo(1), failed.Err);
            string line = failed.Err.TrimEnd('\n', '\r');
            Assert.That(line, Does.StartWith("retrieval: error: ").And.Contain("No space left on device"));
            Assert.That(line, Does.Not.Contain("\n").And.Not.Contain("   at "), "one line, no stack trace");
            Assert.That(SafeTensorsFile.Load(Path.Combine(run, "checkpoint", Checkpoint.ModelFileName)).Metadata[Checkpoint.ModelStepKey], Is.EqualTo("10"), "the last good checkpoint stays");
            Assert.That(ModelBits(run), Is.EqualTo(atTen), "and is intact");
            Assert.That(Directory.EnumerateDirectories(run).Select(Path.GetFileName), Is.EquivalentTo(new[] { "checkpoint" }),
                "no half-written checkpoint folder is left beside it");
        });

        var resumed = Invoke("retrieval", "--resume", run, "--steps", "20");
        Assert.That(resumed.Code, Is.EqualTo(0), resumed.Err);
        Assert.That(ModelBits(run), Is.EqualTo(ModelBits(whole)), "10 steps, a failed save, then 10 more equal 20 steps");
    }
}
