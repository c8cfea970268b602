using System.Runtime.InteropServices;

namespace FastWeights.Model.Distributed;

/// <summary>
/// The few functions of OpenMPI's C API that <see cref="MpiCollective"/> calls, bound by hand: the NuGet package MPI.NET
/// is built against MS-MPI's ABI and does not load on Linux. Handles (MPI_Comm, MPI_Datatype, MPI_Op) are pointers in
/// OpenMPI's ABI; its predefined ones (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, …) are the addresses of exported globals
/// (<c>ompi_mpi_comm_world</c>, <c>ompi_mpi_float</c>, <c>ompi_mpi_op_sum</c>), read with <see cref="NativeLibrary.GetExport"/>.
/// Buffers are passed as <c>ref</c> to their first element, which the marshaller pins for the call (no unsafe code).
/// </summary>
/// <remarks>OpenMPI 4.x (libmpi.so.40, e.g. Debian's openmpi-bin/libopenmpi-dev 4.1.4). MPICH has another ABI (integer
/// handles) and is not supported.</remarks>
internal static class MpiNative
{
    /// <summary>The shared library: OpenMPI 3.x/4.x's soname.</summary>
    public const string Library = "libmpi.so.40";

    /// <summary>MPI_SUCCESS.</summary>
    public const int Success = 0;

    /// <summary>MPI_THREAD_SERIALIZED: several threads may call MPI, never at the same time.</summary>
    public const int ThreadSerialized = 2;

    [DllImport(Library, EntryPoint = "MPI_Initialized")]
    public static extern int Initialized(out int flag);

    [DllImport(Library, EntryPoint = "MPI_Finalized")]
    public static extern int Finalized(out int flag);

    [DllImport(Library, EntryPoint = "MPI_Init_thread")]
    public static extern int InitThread(IntPtr argc, IntPtr argv, int required, out int provided);

    [DllImport(Library, EntryPoint = "MPI_Finalize")]
    public static extern int FinalizeMpi();

    [DllImport(Library, EntryPoint = "MPI_Comm_size")]
    public static extern int CommSize(IntPtr comm, out int size);

    [DllImport(Library, EntryPoint = "MPI_Comm_rank")]
    public static extern int CommRank(IntPtr comm, out int rank);

    [DllImport(Library, EntryPoint = "MPI_Allgather")]
    public static extern int Allgather(ref byte sendBuffer, int sendCount, IntPtr sendType, ref byte receiveBuffer, int receiveCount, IntPtr receiveType, IntPtr comm);

    [DllImport(Library, EntryPoint = "MPI_Allreduce")]
    public static extern int Allreduce(ref byte sendBuffer, ref byte receiveBuffer, int count, IntPtr type, IntPtr op, IntPtr comm);

    [DllImport(Library, EntryPoint = "MPI_Bcast")]
    public static extern int Bcast(ref byte buffer, int count, IntPtr type, int root, IntPtr comm);

    [DllImport(Library, EntryPoint = "MPI_Barrier")]
    public static extern int Barrier(IntPtr comm);

    [DllImport(Library, EntryPoint = "MPI_Get_library_version")]
    public static extern int GetLibraryVersion(ref byte version, out int length);

    /// <summary>libc's _exit: ends the process at once, without running .NET's shutdown (which could wait on a thread blocked in MPI).</summary>
    [DllImport("libc", EntryPoint = "_exit")]
    public static extern void ExitNow(int status);

    /// <summary>The predefined handles, read from the library's exported globals.</summary>
    public readonly record struct Handles(IntPtr CommWorld, IntPtr Float, IntPtr Double, IntPtr Long, IntPtr Byte, IntPtr OpSum, IntPtr OpMax)
    {
        /// <summary>Loads <see cref="Library"/> and reads the handles.</summary>
        /// <exception cref="DllNotFoundException">The library is not installed.</exception>
        /// <exception cref="EntryPointNotFoundException">It is not OpenMPI (a symbol is missing).</exception>
        public static Handles Load()
        {
            IntPtr library = NativeLibrary.Load(Library);
            IntPtr Export(string name) => NativeLibrary.GetExport(library, name);
            return new Handles(Export("ompi_mpi_comm_world"), Export("ompi_mpi_float"), Export("ompi_mpi_double"),
                Export("ompi_mpi_long_long_int"), Export("ompi_mpi_byte"), Export("ompi_mpi_op_sum"), Export("ompi_mpi_op_max"));
        }
    }
}
