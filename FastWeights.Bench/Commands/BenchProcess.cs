using FastWeights.Bench.Cli;
using FastWeights.Model.Distributed;

namespace FastWeights.Bench.Commands;

/// <summary>
/// The process around the command line: alone, it runs the command; started by OpenMPI's mpirun (detected by
/// <c>$OMPI_COMM_WORLD_SIZE</c>, which mpirun sets in every process it starts; no flag is needed), it first joins the
/// MPI group, which `retrieval train` then trains data parallel over (docs/distributed.md), and afterwards finalises MPI,
/// or, when this rank failed, aborts the whole group so that no other rank waits for it.
/// </summary>
internal static class BenchProcess
{
    /// <summary>The group this process belongs to: <see cref="SingleProcess.Instance"/> unless started by mpirun.</summary>
    public static ICollective Collective { get; private set; } = SingleProcess.Instance;

    /// <summary>Runs <paramref name="args"/> and returns the exit code (see the class summary).</summary>
    public static int Run(string[] args)
    {
        if (!MpiCollective.UnderMpirun) return BenchCli.Invoke(args);
        MpiCollective mpi;
        try { mpi = MpiCollective.Open(); }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"distributed: error: {CommandErrors.OneLine(e.Message)}");
            return CommandErrors.InputError;
        }
        if (mpi.Size > 1 && !RunsDataParallel(args))
        {
            if (mpi.Rank == 0)
                Console.Error.WriteLine($"distributed: error: only `retrieval train` runs over several ranks; run `{string.Join(' ', args.Take(2))}` without mpirun (or with -np 1).");
            mpi.Abort(CommandErrors.InputError);
        }
        Collective = mpi;
        int code;
        try
        {
            // Only rank 0 prints; the others' errors still reach stderr.
            code = BenchCli.Invoke(args, output: mpi.Rank == 0 ? null : TextWriter.Null);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"rank {mpi.Rank}: {e}");
            code = 70;
        }
        if (code != 0)
        {
            // The other ranks may be waiting for this one in a collective call: end them all.
            mpi.Abort(code);
        }
        mpi.Dispose();
        return code;
    }

    /// <summary>`retrieval` (bare or `train`) and the hidden `distributed-check` run over several ranks; nothing else does.</summary>
    internal static bool RunsDataParallel(string[] args) =>
        args.Length >= 1 && (args[0] == DistributedCheckCommand.Name
            || (args[0] == RetrievalCommand.Name && (args.Length == 1 || args[1] == "train" || args[1].StartsWith('-'))));
}
