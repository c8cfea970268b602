using FastWeights.Kernels.Core;

namespace FastWeights.Bench.Cli;

/// <summary>
/// Checks, before anything is allocated or opened, that a command's memory fits and that its input is a regular file:
/// a size that cannot fit is refused with the bytes named instead of failing with an out-of-memory error (or a
/// machine that swaps) later, and a pipe or device given as a file is refused instead of hanging or reading forever.
/// </summary>
internal static class ResourceCheck
{
    /// <summary>Environment variable that lowers <see cref="HostLimit"/> to a number of bytes (a user's cap; the tests' lever).</summary>
    public const string HostLimitVariable = "FASTWEIGHTS_HOST_MEMORY_LIMIT";

    /// <summary>
    /// The bytes a command may allocate in host memory: half of what the runtime reports available, leaving room for
    /// the host copies and the runtime itself; lower when <see cref="HostLimitVariable"/> holds a smaller positive number.
    /// </summary>
    public static long HostLimit
    {
        get
        {
            long limit = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 2;
            return long.TryParse(Environment.GetEnvironmentVariable(HostLimitVariable), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out long cap) && cap > 0 ? Math.Min(cap, limit) : limit;
        }
    }

    /// <summary>Refuses <paramref name="bytes"/> of host memory beyond <see cref="HostLimit"/>; <paramref name="what"/> names the options.</summary>
    public static void RequireHostFits(long bytes, string what)
    {
        long limit = HostLimit;
        if (bytes < 0 || bytes > limit)
            throw new CommandInputException($"{what} need {(bytes < 0 ? "more than 2^63" : bytes.ToString(System.Globalization.CultureInfo.InvariantCulture))} bytes, "
                + $"more than the {limit} bytes this machine can hold (half of the available host memory, or {HostLimitVariable}).");
    }

    /// <summary>
    /// Refuses <paramref name="bytes"/> of device memory that <paramref name="device"/> cannot hold: its memory size on a
    /// GPU; the host limit on the CPU accelerator, whose buffers live in host memory.
    /// </summary>
    public static void RequireDeviceFits(ComputeDevice device, long bytes, string what)
    {
        if (device.Kind == AcceleratorKind.Cuda)
        {
            long limit = device.Accelerator.MemorySize;
            if (bytes < 0 || bytes > limit)
                throw new CommandInputException($"{what} need {(bytes < 0 ? "more than 2^63" : bytes.ToString(System.Globalization.CultureInfo.InvariantCulture))} bytes of device memory, "
                    + $"more than the {limit} bytes of {device.Accelerator.Name}.");
        }
        else
        {
            RequireHostFits(bytes, what);
        }
    }

    /// <summary>
    /// Refuses a path that is not a readable regular file: missing, a folder, or of size 0, which is what pipes, character
    /// devices (/dev/zero) and /proc files report; opening those would block or never end.
    /// </summary>
    public static FileInfo RequireRegularFile(string path, string option)
    {
        var info = new FileInfo(path);
        if (Directory.Exists(path)) throw new CommandInputException($"{option} {path} is a folder, not a file.");
        if (!info.Exists) throw new CommandInputException($"{option} {path} was not found.");
        if (info.Length == 0)
            throw new CommandInputException($"{option} {path} is empty or not a regular file (a pipe or device reports size 0); give a file.");
        return info;
    }

    /// <summary>True when the two paths name the same file (after making them absolute and resolving links).</summary>
    public static bool SameFile(string a, string b)
    {
        static string Resolve(string p)
        {
            string full = Path.GetFullPath(p);
            try { return File.ResolveLinkTarget(full, returnFinalTarget: true)?.FullName ?? full; }
            catch (IOException) { return full; }
        }
        return string.Equals(Resolve(a), Resolve(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }

    /// <summary>Runs an allocation; an out-of-memory failure becomes one line naming the options that size it.</summary>
    public static T Allocating<T>(Func<T> create, string what)
    {
        try { return create(); }
        catch (OutOfMemoryException) { throw new CommandInputException($"{what}: the model does not fit in this device's memory."); }
    }
}
