using FastWeights.Bench.Ptx;
using FastWeights.Kernels.HyperLstm;
using FastWeights.Kernels.Primitives;
using FastWeights.Model;

namespace FastWeights.Tests.Bench.Ptx;

/// <summary>
/// The CUDA compile check without a GPU (docs/gpu.md §1): every kernel of the library compiled to PTX for sm_70, sm_80
/// and sm_90 by ILGPU's back end, and assembled by <c>ptxas -v</c> where ptxas exists (.ci/run installs it and sets
/// $FASTWEIGHTS_PTXAS, so in CI it always exists). The whole check runs once, in the fixture set-up (~20 s on 2 cores),
/// and writes its table to $FASTWEIGHTS_PTX_TABLE when that is set (.ci/run prints it).
/// </summary>
public sealed class PtxCheckTests
{
    /// <summary>Environment variable naming a file to write the table to.</summary>
    public const string TableVariable = "FASTWEIGHTS_PTX_TABLE";

    private string? ptxas;
    private IReadOnlyList<PtxCheckRow> rows = [];

    [OneTimeSetUp]
    public void CompileEverything()
    {
        ptxas = Ptxas.Locate(); // throws when $FASTWEIGHTS_PTXAS names a missing file: CI must not lose the assembly check silently
        rows = PtxCheck.Run(ModelKernelCatalog.Library, PtxCheck.DefaultArchitectures, ptxas, Environment.ProcessorCount);
        string table = PtxCheck.Table(rows) + PtxCheck.Summary(rows, ptxas is not null) + Environment.NewLine;
        TestContext.Out.Write(table);
        string? path = Environment.GetEnvironmentVariable(TableVariable);
        if (!string.IsNullOrEmpty(path)) File.WriteAllText(path, table);
    }

    [Test]
    public void EveryKernel_CompilesToPtx_ForEveryArchitecture()
    {
        Assert.That(rows, Has.Count.EqualTo(ModelKernelCatalog.Library.Count * PtxCheck.DefaultArchitectures.Length));
        var notCompiled = rows.Where(r => r.Failure?.StartsWith("ILGPU cannot compile", StringComparison.Ordinal) == true)
            .Select(r => $"{r.Kernel.Name} {r.Architecture}: {r.Failure}");
        Assert.That(notCompiled, Is.Empty);
    }

    [Test]
    public void EveryKernel_Assembles_WithoutSpillsOrLocalMemory_AndSustainsItsGroup()
    {
        if (ptxas is null)
            Assert.Ignore($"ptxas not found: run .ci/install-ptxas.sh or set {Ptxas.EnvironmentVariable} (PTX was generated, not assembled).");
        Assert.Multiple(() =>
        {
            Assert.That(rows.Where(r => r.Failure is not null).Select(r => $"{r.Kernel.Name} {r.Architecture}: {r.Failure}"), Is.Empty);
            Assert.That(rows.Where(r => r.Report is null).Select(r => r.Kernel.Name), Is.Empty, "every row has a ptxas report");
        });
    }

    /// <summary>The group schedules' sweeps use dynamic shared memory (sized at launch), and the table says so.</summary>
    [Test]
    public void GroupSweeps_DeclareDynamicSharedMemory()
    {
        var sweeps = rows.Where(r => r.Kernel.Grouping == KernelGrouping.Explicit).ToArray();
        Assert.That(sweeps, Has.Length.EqualTo(10 * PtxCheck.DefaultArchitectures.Length), "five families × forward/reverse group sweeps");
        Assert.That(sweeps.Where(r => r.Failure is null && !r.DynamicShared).Select(r => r.Kernel.Name), Is.Empty);
    }

    /// <summary>A class allocation inside a kernel: ILGPU refuses it, and the check must say so and fail.</summary>
    private static void UncompilableKernel(Index1D index, ArrayView<int> output)
    {
        var list = new List<int> { index };
        output[index] = list.Count;
    }

    [Test]
    public void AKernelIlgpuCannotCompile_FailsTheCheck()
    {
        var bad = KernelEntry.AutoGrouped<ArrayView<int>>(UncompilableKernel);
        var result = PtxCheck.Run([bad], ["sm_80"], ptxas, 1);
        Assert.That(result, Has.Count.EqualTo(1));
        Assert.That(result[0].Failure, Does.StartWith("ILGPU cannot compile it"));
    }

    [Test]
    public void TheCommand_FailsWithOneErrorLine_WhenAKernelDoesNotCompile()
    {
        var bad = KernelEntry.AutoGrouped<ArrayView<int>>(UncompilableKernel);
        var (code, stdout, stderr) = CliRun.Capture((o, e) => PtxCommand.Run([FiniteCheck.Entry, bad], "sm_80", ptxas, null, null, o, e));
        var errors = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(PtxCommand.CheckFailed));
            Assert.That(errors, Has.Length.EqualTo(1));
            Assert.That(errors[0], Does.StartWith("ptx: error: 1 kernel/architecture pair(s) failed the check; first: PtxCheckTests.UncompilableKernel sm_80: ILGPU cannot compile it"));
            Assert.That(stdout, Does.Contain("| FiniteCheck.Kernel | sm_80 | auto |"));
        });
    }

    /// <summary>
    /// The register rule bites: the HyperLSTM reverse sweep uses more than 64 registers on sm_70 and sm_90, so a layer
    /// that needed 1024 threads per group from it would fail the check (its real requirement is 512, docs/gpu.md §1).
    /// </summary>
    [Test]
    public void ARegisterCountThatCannotSustainTheGroup_FailsTheCheck()
    {
        if (ptxas is null)
            Assert.Ignore($"ptxas not found: run .ci/install-ptxas.sh or set {Ptxas.EnvironmentVariable}.");
        var demanding = KernelEntry.Grouped<HyperLstmReverseSweepArgs>(HyperLstmReverseSweep.GroupKernel, requiredGroupSize: 1024);
        var result = PtxCheck.Run([demanding], ["sm_90"], ptxas, 1);
        Assert.That(result[0].Report!.Registers, Is.GreaterThan(64), "the premise: a 1024-thread group needs ≤ 64 registers");
        Assert.That(result[0].Failure, Does.Contain("threads per group; the layer launches 1024"));
    }

    [Test]
    public void TheCommand_RejectsAnUnknownArchitecture_InOneLine()
    {
        var stderr = new StringWriter();
        int code = PtxCommand.Run("sm_80,volta", null, null, null, new StringWriter(), stderr);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(stderr.ToString().TrimEnd(), Is.EqualTo("ptx: error: --arch: 'volta' is not an architecture such as sm_70, sm_80, sm_90."));
    }
}
