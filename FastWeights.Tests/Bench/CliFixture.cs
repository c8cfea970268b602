using FastWeights.Bench.Runs;
using FastWeights.Kernels.Interop;
using FastWeights.Model.Training;

namespace FastWeights.Tests.Bench;

/// <summary>
/// A fixture whose tests run the bench CLI (in process through <see cref="CliRun"/>, or under mpirun) on run folders in
/// its temporary folder, and compare what the runs leave there.
/// </summary>
public abstract class CliFixture(string prefix) : TempFolderFixture(prefix)
{
    /// <summary>The exit code, stdout and stderr of <c>bench</c> with <paramref name="args"/>, run in process.</summary>
    protected static (int Code, string Out, string Err) Invoke(params string[] args) => CliRun.Invoke(args);

    /// <summary>The model parameters in the checkpoint of the run folder <paramref name="run"/>, as bits, tensors in name order.</summary>
    protected static uint[] ModelBits(string run)
    {
        var file = SafeTensorsFile.Load(Path.Combine(run, RunFolder.CheckpointFolder, Checkpoint.ModelFileName));
        return file.Tensors.OrderBy(t => t.Name, StringComparer.Ordinal)
            .SelectMany(t => file.ReadFloat32(t.Name, out _)).Select(BitConverter.SingleToUInt32Bits).ToArray();
    }
}
