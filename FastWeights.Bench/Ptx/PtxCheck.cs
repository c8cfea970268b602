using System.Globalization;
using System.Text;
using FastWeights.Kernels.Core;

namespace FastWeights.Bench.Ptx;

/// <summary>One kernel on one architecture: its ptxas report, or why it failed the check.</summary>
internal sealed record PtxCheckRow(KernelEntry Kernel, string Architecture, PtxasReport? Report, bool DynamicShared, string? Failure);

/// <summary>
/// The CUDA compile check (docs/gpu.md §1): every catalog entry compiled to PTX for each architecture by ILGPU's
/// back end, then (where ptxas exists) assembled with <c>ptxas -v</c>. A row fails on a compile or assembly error,
/// any spill or local memory, or registers that cannot sustain the entry's <see cref="KernelEntry.RequiredGroupSize"/>.
/// </summary>
internal static class PtxCheck
{
    /// <summary>The architectures checked by default: Volta, Ampere, Hopper.</summary>
    public static readonly string[] DefaultArchitectures = ["sm_70", "sm_80", "sm_90"];

    /// <summary>Runs the check; <paramref name="ptxas"/> null compiles only.</summary>
    /// <param name="entries">The kernels.</param>
    /// <param name="architectures">"sm_70"-style names.</param>
    /// <param name="ptxas">Path of ptxas, or null.</param>
    /// <param name="parallelism">Concurrent compilations and ptxas processes (≥ 1).</param>
    public static IReadOnlyList<PtxCheckRow> Run(IReadOnlyList<KernelEntry> entries, IReadOnlyList<string> architectures,
        string? ptxas, int parallelism)
    {
        var archs = architectures.Select(PtxCompiler.ParseArchitecture).ToArray();
        var rows = new PtxCheckRow[entries.Count * archs.Length];
        // One compiler (one ILGPU context) per architecture: contexts are independent, so architectures compile in
        // parallel; within one context kernels compile one after another.
        Parallel.For(0, archs.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(parallelism, 1) }, a =>
        {
            using var compiler = new PtxCompiler();
            for (int k = 0; k < entries.Count; k++)
            {
                string arch = PtxCompiler.Name(archs[a]);
                var entry = entries[k];
                PtxCheckRow row;
                try
                {
                    string ptx = compiler.Compile(entry, archs[a]);
                    row = ptxas is null
                        ? new PtxCheckRow(entry, arch, null, ptx.Contains(".extern .shared", StringComparison.Ordinal), null)
                        : Assemble(entry, arch, ptx, ptxas);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    row = new PtxCheckRow(entry, arch, null, false, $"ILGPU cannot compile it: {e.GetType().Name}: {FirstLine(e.Message)}");
                }
                rows[k * archs.Length + a] = row;
            }
        });
        return rows;
    }

    private static PtxCheckRow Assemble(KernelEntry entry, string arch, string ptx, string ptxas)
    {
        bool dynamicShared = ptx.Contains(".extern .shared", StringComparison.Ordinal);
        var (exit, output) = Ptxas.Assemble(ptxas, ptx, arch);
        if (exit != 0)
            return new PtxCheckRow(entry, arch, null, dynamicShared, $"ptxas exited with {exit}: {ErrorLine(output)}");
        PtxasReport report;
        try { report = PtxasReport.Parse(output); }
        catch (FormatException e) { return new PtxCheckRow(entry, arch, null, dynamicShared, e.Message); }
        string? failure = null;
        if (report.UsesLocalMemory)
            failure = $"local memory: {report.SpillStoreBytes} B spill stores, {report.SpillLoadBytes} B spill loads, "
                + $"{report.StackBytes} B stack, {report.LocalBytes} B lmem";
        else if (report.MaxThreadsPerGroup < entry.RequiredGroupSize)
            failure = $"{report.Registers} registers allow {report.MaxThreadsPerGroup} threads per group; the layer launches {entry.RequiredGroupSize}";
        return new PtxCheckRow(entry, arch, report, dynamicShared, failure);
    }

    /// <summary>The markdown table docs/gpu.md keeps: one line per kernel and architecture.</summary>
    public static string Table(IReadOnlyList<PtxCheckRow> rows)
    {
        var s = new StringBuilder();
        s.AppendLine("| kernel | arch | grouping | registers | spills (B) | local (B) | shared static (B) | dynamic shared | max threads/group | needs | result |");
        s.AppendLine("|---|---|---|---:|---:|---:|---:|---|---:|---:|---|");
        foreach (var r in rows)
        {
            string I(int v) => v.ToString(CultureInfo.InvariantCulture);
            var p = r.Report;
            s.Append(CultureInfo.InvariantCulture,
                $"| {r.Kernel.Name} | {r.Architecture} | {(r.Kernel.Grouping == KernelGrouping.Explicit ? "group" : "auto")} | "
                + $"{(p is null ? "–" : I(p.Registers))} | {(p is null ? "–" : I(p.SpillBytes))} | "
                + $"{(p is null ? "–" : I(p.StackBytes + p.LocalBytes))} | {(p is null ? "–" : I(p.StaticSharedBytes))} | "
                + $"{(r.DynamicShared ? "yes" : "no")} | {(p is null ? "–" : I(p.MaxThreadsPerGroup))} | {I(r.Kernel.RequiredGroupSize)} | "
                + $"{(r.Failure is null ? (p is null ? "PTX only" : "ok") : "FAIL: " + r.Failure.Replace("|", "/", StringComparison.Ordinal))} |");
            s.AppendLine();
        }
        return s.ToString();
    }

    /// <summary>One summary line: kernels, architectures, failures.</summary>
    public static string Summary(IReadOnlyList<PtxCheckRow> rows, bool assembled) =>
        string.Create(CultureInfo.InvariantCulture,
            $"ptx: {rows.Select(r => r.Kernel).Distinct().Count()} kernels × {rows.Select(r => r.Architecture).Distinct().Count()} architectures, "
            + $"{rows.Count(r => r.Failure is not null)} failed{(assembled ? "" : " (ptxas not found: compiled to PTX only, not assembled)")}");

    private static string ErrorLine(string output) =>
        output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase))
        ?? FirstLine(output);

    private static string FirstLine(string text)
    {
        string trimmed = text.Trim();
        int newline = trimmed.IndexOf('\n', StringComparison.Ordinal);
        return newline < 0 ? trimmed : trimmed[..newline].TrimEnd();
    }
}
