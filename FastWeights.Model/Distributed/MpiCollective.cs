using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace FastWeights.Model.Distributed;

/// <summary>
/// <see cref="ICollective"/> over OpenMPI's MPI_COMM_WORLD (<see cref="MpiNative"/>): the processes `mpirun -np N`
/// started. Host buffers only: device values are staged through the host by the caller (<see cref="DataParallel"/>).
/// </summary>
/// <remarks>
/// <para><b>Fixed-order sums.</b> <see cref="SumInRankOrder(Span{float})"/> is MPI_Allgather of every rank's values,
/// then the same loop on every rank adding them in rank order. MPI_Allreduce would move less data, but its order of
/// addition is the library's choice (it depends on the algorithm picked for the message size and the number of ranks,
/// and may differ between ranks in reduce-scatter algorithms), so it does not promise bit-identical results on every
/// rank, nor from one version of the library to the next. The gather costs N·n floats per rank; for the models here
/// (≤ 1 M parameters) that is a few MB.</para>
/// <para><b>No hang.</b> A rank that dies makes mpirun end the others (OpenMPI's default). A rank that hangs (alive, but
/// never reaching its next collective call) would keep the others waiting forever, so every blocking call is watched:
/// one that has waited longer than <see cref="Timeout"/> ends this process with exit code 1 after one line on stderr,
/// and mpirun then ends the rest. The timeout comes from <c>$FASTWEIGHTS_COLLECTIVE_TIMEOUT</c> (seconds, default
/// 600); it must exceed the longest time one rank can work alone between two collective calls.</para>
/// <para>Not thread-safe: one thread makes the collective calls (MPI is initialised with MPI_THREAD_SERIALIZED, the
/// watchdog thread never calls MPI).</para>
/// </remarks>
public sealed class MpiCollective : ICollective
{
    /// <summary>The variable OpenMPI's mpirun sets in every process it starts: how a process knows it runs under mpirun.</summary>
    public const string WorldSizeVariable = "OMPI_COMM_WORLD_SIZE";

    /// <summary>The variable that sets <see cref="Timeout"/>, in seconds.</summary>
    public const string TimeoutVariable = "FASTWEIGHTS_COLLECTIVE_TIMEOUT";

    private readonly MpiNative.Handles handles;
    private readonly Thread watchdog;
    private byte[] gathered = [];
    private long waitingSinceTicks; // Environment.TickCount64 when the current blocking call began; 0 when none
    private string waitingIn = "";
    private bool disposed;

    private MpiCollective(MpiNative.Handles handles, TimeSpan timeout)
    {
        this.handles = handles;
        Timeout = timeout;
        Check(MpiNative.CommRank(handles.CommWorld, out int rank), "MPI_Comm_rank");
        Check(MpiNative.CommSize(handles.CommWorld, out int size), "MPI_Comm_size");
        Rank = rank;
        Size = size;
        var version = new byte[256]; // MPI_MAX_LIBRARY_VERSION_STRING in OpenMPI 4
        Check(MpiNative.GetLibraryVersion(ref version[0], out int length), "MPI_Get_library_version");
        string library = Encoding.ASCII.GetString(version, 0, Math.Clamp(length, 0, version.Length)).Split(',')[0].Trim();
        Description = $"{library}, rank {Rank} of {Size}";
        watchdog = new Thread(Watch) { IsBackground = true, Name = "collective watchdog" };
        watchdog.Start();
    }

    /// <summary>True when this process was started by OpenMPI's mpirun (<see cref="WorldSizeVariable"/> is set).</summary>
    public static bool UnderMpirun => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(WorldSizeVariable));

    /// <summary>
    /// Initialises MPI (once per process) and joins MPI_COMM_WORLD. Call only under mpirun (<see cref="UnderMpirun"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">OpenMPI's library (libmpi.so.40) cannot be loaded or is not OpenMPI,
    /// MPI_Init failed, MPI was already finalised, or $FASTWEIGHTS_COLLECTIVE_TIMEOUT is not a positive number.</exception>
    public static MpiCollective Open()
    {
        TimeSpan timeout = TimeSpan.FromSeconds(600);
        if (Environment.GetEnvironmentVariable(TimeoutVariable) is { Length: > 0 } text)
        {
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || !(seconds > 0) || !double.IsFinite(seconds))
                throw new InvalidOperationException($"${TimeoutVariable} must be a positive number of seconds, got '{text}'.");
            timeout = TimeSpan.FromSeconds(seconds);
        }
        MpiNative.Handles handles;
        try { handles = MpiNative.Handles.Load(); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new InvalidOperationException($"OpenMPI's library {MpiNative.Library} could not be loaded ({e.Message.Split('\n')[0].Trim()}); "
                + "install OpenMPI 4 (Debian: apt-get install openmpi-bin libopenmpi-dev).", e);
        }
        Check(MpiNative.Finalized(out int finalized), "MPI_Finalized");
        if (finalized != 0) throw new InvalidOperationException("MPI was already finalised in this process; it cannot be initialised again.");
        Check(MpiNative.Initialized(out int initialized), "MPI_Initialized");
        if (initialized == 0)
            Check(MpiNative.InitThread(IntPtr.Zero, IntPtr.Zero, MpiNative.ThreadSerialized, out _), "MPI_Init_thread");
        return new MpiCollective(handles, timeout);
    }

    /// <inheritdoc/>
    public int Rank { get; }

    /// <inheritdoc/>
    public int Size { get; }

    /// <inheritdoc/>
    public string Description { get; }

    /// <summary>How long one collective call may wait for the other ranks before this process gives up (see remarks).</summary>
    public TimeSpan Timeout { get; }

    /// <inheritdoc/>
    public void SumInRankOrder(Span<float> values) => SumInRankOrder(values, handles.Float);

    /// <inheritdoc/>
    public void SumInRankOrder(Span<double> values) => SumInRankOrder(values, handles.Double);

    /// <summary>
    /// Gathers every rank's values and sums them in rank order (rank 0's first, then += rank 1's, ...): one IEEE addition
    /// of <typeparamref name="T"/> per term, the same on every rank.
    /// </summary>
    private void SumInRankOrder<T>(Span<T> values, IntPtr type) where T : unmanaged, IAdditionOperators<T, T, T>
    {
        ReadOnlySpan<T> all = MemoryMarshal.Cast<byte, T>(Gather(MemoryMarshal.AsBytes(values), values.Length, type, Unsafe.SizeOf<T>()));
        int n = values.Length;
        all[..n].CopyTo(values);
        for (int r = 1; r < Size; r++)
        {
            ReadOnlySpan<T> part = all.Slice(r * n, n);
            for (int i = 0; i < n; i++) values[i] += part[i];
        }
    }

    /// <inheritdoc/>
    public void Broadcast(Span<float> values) => Broadcast(values, handles.Float);

    /// <inheritdoc/>
    public void Broadcast(Span<long> values) => Broadcast(values, handles.Long);

    /// <summary>Rank 0's values overwrite every other rank's (one MPI_Bcast of <paramref name="type"/>).</summary>
    private void Broadcast<T>(Span<T> values, IntPtr type) where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (values.IsEmpty) return;
        Enter("MPI_Bcast");
        int code;
        try { code = MpiNative.Bcast(ref MemoryMarshal.AsBytes(values)[0], values.Length, type, 0, handles.CommWorld); }
        finally { Leave(); }
        Check(code, "MPI_Bcast");
    }

    /// <inheritdoc/>
    public bool Any(bool flag)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        // A maximum of 0/1 integers: exact whatever the order, so MPI_Allreduce is deterministic here.
        Span<long> send = [flag ? 1 : 0], receive = [0];
        Enter("MPI_Allreduce");
        int code;
        try { code = MpiNative.Allreduce(ref MemoryMarshal.AsBytes(send)[0], ref MemoryMarshal.AsBytes(receive)[0], 1, handles.Long, handles.OpMax, handles.CommWorld); }
        finally { Leave(); }
        Check(code, "MPI_Allreduce");
        return receive[0] != 0;
    }

    /// <inheritdoc/>
    public void Barrier()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        Enter("MPI_Barrier");
        int code;
        try { code = MpiNative.Barrier(handles.CommWorld); }
        finally { Leave(); }
        Check(code, "MPI_Barrier");
    }

    /// <summary>
    /// Ends this process at once with <paramref name="exitCode"/>, without MPI_Finalize; mpirun then ends every other rank
    /// ("mpirun detected that one or more processes exited with non-zero status"). Not MPI_Abort: with OpenMPI 4.1.4
    /// (Debian) it was seen to lose the rank's last lines on stderr, the error the user needs, and to print
    /// "ORTE_ERROR_LOG: Data unpack would read past end of buffer" instead; an exit is forwarded completely.
    /// </summary>
    /// <param name="exitCode">The exit code, non-zero.</param>
    public void Abort(int exitCode)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        MpiNative.ExitNow(exitCode == 0 ? 1 : exitCode);
    }

    /// <summary>MPI_Finalize (a collective step: every rank must reach it). After an error, <see cref="Abort"/> instead.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        Enter("MPI_Finalize");
        int code;
        try { code = MpiNative.FinalizeMpi(); }
        finally { Leave(); }
        Check(code, "MPI_Finalize");
    }

    /// <summary>MPI_Allgather of <paramref name="count"/> elements per rank into the reused buffer; returns the rank-major result.</summary>
    private ReadOnlySpan<byte> Gather(ReadOnlySpan<byte> local, int count, IntPtr type, int elementSize)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        long total = (long)count * elementSize * Size;
        if (total > Array.MaxLength)
            throw new ArgumentException($"{count} values from each of {Size} ranks do not fit in one host buffer; sum fewer at a time.", nameof(local));
        if (count == 0) return [];
        if (gathered.Length < total) gathered = new byte[total];
        Enter("MPI_Allgather");
        int code;
        try { code = MpiNative.Allgather(ref MemoryMarshal.GetReference(local), count, type, ref gathered[0], count, type, handles.CommWorld); }
        finally { Leave(); }
        Check(code, "MPI_Allgather");
        return gathered.AsSpan(0, (int)total);
    }

    /// <summary>A blocking MPI call begins: the watchdog starts timing it.</summary>
    private void Enter(string name)
    {
        waitingIn = name;
        Volatile.Write(ref waitingSinceTicks, Environment.TickCount64);
    }

    /// <summary>The blocking call returned.</summary>
    private void Leave() => Volatile.Write(ref waitingSinceTicks, 0);

    private void Watch()
    {
        while (true)
        {
            Thread.Sleep(TimeSpan.FromMilliseconds(Math.Clamp(Timeout.TotalMilliseconds / 10, 10, 1000)));
            long since = Volatile.Read(ref waitingSinceTicks);
            if (since == 0 || Environment.TickCount64 - since <= Timeout.TotalMilliseconds) continue;
            Console.Out.Flush();
            Console.Error.WriteLine($"distributed: error: rank {Rank} of {Size} waited more than {Timeout.TotalSeconds:G4} s in {waitingIn} for the other ranks "
                + $"(${TimeoutVariable}): another rank died or hangs; ending this one.");
            Console.Error.Flush();
            // Not MPI_Abort: the main thread is inside MPI and MPI was initialised for one caller at a time. A rank that
            // exits with a non-zero code before MPI_Finalize makes mpirun end the others.
            MpiNative.ExitNow(1);
        }
    }

    private static void Check(int code, string call)
    {
        // The default error handler of MPI_COMM_WORLD (MPI_ERRORS_ARE_FATAL) aborts the job before a failing call
        // returns, so this is a second line of defence.
        if (code != MpiNative.Success) throw new InvalidOperationException($"{call} failed with MPI error code {code}.");
    }
}
