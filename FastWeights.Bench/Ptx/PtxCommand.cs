using System.CommandLine;
using FastWeights.Bench.Cli;
using FastWeights.Kernels.Core;
using FastWeights.Model;

namespace FastWeights.Bench.Ptx;

/// <summary>
/// <c>ptx [--arch sm_70,sm_80,sm_90] [--ptxas PATH] [--kernel TEXT] [--table FILE]</c>: compiles every kernel the
/// library loads to PTX for each architecture without a GPU, assembles each with <c>ptxas -v</c> where ptxas exists,
/// prints the register table and fails (exit 2) on any compile or assembly error, spill, local memory, or a register
/// count that cannot sustain the group the layer launches (docs/gpu.md §1).
/// </summary>
internal static class PtxCommand
{
    public const string Name = "ptx";

    /// <summary>Exit code when a kernel fails the check (1 is bad input).</summary>
    public const int CheckFailed = 2;

    public static Command Create()
    {
        var arch = new Option<string>("--arch") { Description = "Comma-separated architectures.", DefaultValueFactory = _ => string.Join(',', PtxCheck.DefaultArchitectures) };
        var ptxas = new Option<string?>("--ptxas") { Description = "Path of ptxas (default: $FASTWEIGHTS_PTXAS, PATH, /opt/ptxas/bin/ptxas; PTX only when none)." };
        var kernel = new Option<string?>("--kernel") { Description = "Only kernels whose name contains this text." };
        var table = new Option<string?>("--table") { Description = "Also write the table (markdown) to this file." };
        var command = new Command(Name, "Compile every kernel to PTX (no GPU needed), assemble with ptxas -v, print registers/spills/shared memory.")
        {
            arch, ptxas, kernel, table,
        };
        command.SetAction(parse => Run(parse.GetValue(arch)!, parse.GetValue(ptxas), parse.GetValue(kernel), parse.GetValue(table),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    public static int Run(string arch, string? ptxas, string? kernel, string? table, TextWriter stdout, TextWriter stderr) =>
        Run(ModelKernelCatalog.Library, arch, ptxas, kernel, table, stdout, stderr);

    /// <summary>The command over <paramref name="catalog"/> instead of the library's (tests feed it kernels that must fail).</summary>
    internal static int Run(IReadOnlyList<KernelEntry> catalog, string arch, string? ptxas, string? kernel, string? table,
        TextWriter stdout, TextWriter stderr) =>
        CommandErrors.Guard(Name, stderr, () =>
        {
            var archs = arch.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (archs.Length == 0) throw new CommandInputException("--arch names no architecture.");
            foreach (string a in archs)
            {
                try { PtxCompiler.ParseArchitecture(a); }
                catch (FormatException e) { throw new CommandInputException($"--arch: {e.Message}"); }
            }
            var entries = catalog
                .Where(e => kernel is null || e.Name.Contains(kernel, StringComparison.OrdinalIgnoreCase)).ToArray();
            if (entries.Length == 0) throw new CommandInputException($"--kernel '{kernel}' matches no kernel.");
            string? assembler = Ptxas.Locate(ptxas);
            var rows = PtxCheck.Run(entries, archs, assembler, Environment.ProcessorCount);
            string text = PtxCheck.Table(rows);
            stdout.Write(text);
            if (table is not null) File.WriteAllText(table, text);
            stdout.WriteLine(PtxCheck.Summary(rows, assembler is not null));
            var failed = rows.Where(r => r.Failure is not null).ToArray();
            if (failed.Length == 0) return 0;
            // One line (the table above holds every failure): the count and the first.
            stderr.WriteLine($"{Name}: error: {failed.Length} kernel/architecture pair(s) failed the check; first: "
                + $"{failed[0].Kernel.Name} {failed[0].Architecture}: {CommandErrors.OneLine(failed[0].Failure!)}");
            return CheckFailed;
        });
}
