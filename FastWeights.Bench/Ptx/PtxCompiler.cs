using FastWeights.Kernels.Core;
using ILGPU;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace FastWeights.Bench.Ptx;

/// <summary>
/// Compiles catalog entries to PTX with ILGPU's own CUDA back end, without a device: the same
/// <see cref="PTXBackend"/> call a <see cref="CudaAccelerator"/> makes when it loads a kernel, on a context built as
/// <c>ComputeDevice</c> builds a CUDA one (ILGPU.Algorithms enabled).
/// </summary>
internal sealed class PtxCompiler : IDisposable
{
    /// <summary>The PTX ISA requested: 7.8, the newest ptxas 11.8 (Debian's) accepts; it covers sm_90.</summary>
    public static readonly CudaInstructionSet InstructionSet = CudaInstructionSet.ISA_78;

    private readonly Context context = Context.Create(b => b.Cuda().EnableAlgorithms());
    private readonly Dictionary<CudaArchitecture, PTXBackend> backends = [];

    /// <summary>The PTX of <paramref name="entry"/> for <paramref name="architecture"/>.</summary>
    /// <exception cref="Exception">Whatever ILGPU throws when it cannot compile the kernel.</exception>
    public string Compile(KernelEntry entry, CudaArchitecture architecture)
    {
        if (!backends.TryGetValue(architecture, out var backend))
        {
            backend = new PTXBackend(context, new CudaCapabilityContext(architecture), architecture, InstructionSet, null);
            backends.Add(architecture, backend);
        }
        var description = entry.Grouping == KernelGrouping.Explicit
            ? EntryPointDescription.FromExplicitlyGroupedKernel(entry.Method)
            : EntryPointDescription.FromImplicitlyGroupedKernel(entry.Method);
        var compiled = (PTXCompiledKernel)backend.Compile(description, KernelSpecialization.Empty);
        return compiled.PTXAssembly;
    }

    /// <summary>Parses "sm_70", "SM_80", "90" into an architecture.</summary>
    /// <exception cref="FormatException">Not of that form.</exception>
    public static CudaArchitecture ParseArchitecture(string text)
    {
        string digits = text.Trim().ToLowerInvariant();
        if (digits.StartsWith("sm_", StringComparison.Ordinal)) digits = digits[3..];
        if (digits.Length < 2 || !digits.All(char.IsAsciiDigit))
            throw new FormatException($"'{text}' is not an architecture such as sm_70, sm_80, sm_90.");
        return new CudaArchitecture(int.Parse(digits[..^1], System.Globalization.CultureInfo.InvariantCulture), digits[^1] - '0');
    }

    /// <summary>"sm_90" for SM 9.0.</summary>
    public static string Name(CudaArchitecture architecture) => $"sm_{architecture.Major}{architecture.Minor}";

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var backend in backends.Values) backend.Dispose();
        context.Dispose();
    }
}
