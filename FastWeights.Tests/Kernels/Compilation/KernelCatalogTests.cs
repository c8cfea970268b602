using System.Text.RegularExpressions;
using FastWeights.Kernels.Compilation;
using FastWeights.Kernels.Lstm;
using FastWeights.Model;

namespace FastWeights.Tests.Kernels.Compilation;

/// <summary>The catalog is complete and is the library's only way to load a kernel; loading is once per accelerator.</summary>
public sealed class KernelCatalogTests
{
    private static readonly Regex LoadCall = new(@"\.Load(AutoGrouped|Implicitly|Stream|AutoGroupedStream|ImplicitlyGrouped|Index)?Kernel\b", RegexOptions.Compiled);

    // The catalogs' factories (KernelEntry.Grouped/AutoGrouped, Core/KernelEntry.cs) and their loader for index kernels,
    // HostExecution.LoadIndexKernel (host loops on the CPU accelerator, ILGPU's LoadAutoGroupedKernel elsewhere): the only
    // files allowed to call ILGPU's loaders. Every entry (e.g. LstmForwardSweep.GroupEntry) is built with them.
    private static readonly string[] Loaders = ["KernelEntry.cs", "HostExecution.cs"];

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "kernels.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("kernels.sln not found above the test directory: this test reads the library's source.");
    }

    /// <summary>
    /// A kernel loaded anywhere but through a catalog entry would escape the PTX check: no source file of the library
    /// calls ILGPU's <c>Load…Kernel</c> except the catalogs' factories (Core/KernelEntry.cs, Core/HostExecution.cs).
    /// </summary>
    [Test]
    public void NoLibrarySource_LoadsAKernelOutsideTheCatalog()
    {
        string root = RepositoryRoot();
        var offenders = new[] { "FastWeights.Kernels", "FastWeights.Model" }
            .SelectMany(project => Directory.EnumerateFiles(Path.Combine(root, project), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !Loaders.Contains(Path.GetFileName(f)))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => LoadCall.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(root, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToArray();
        Assert.That(offenders, Is.Empty);
    }

    /// <summary>
    /// Each entry sits beside its kernel; the PTX check sees a kernel only if its class is collected into
    /// <see cref="KernelEntries.Library"/>. Every public static entry of the library, in whatever class, must be there.
    /// </summary>
    [Test]
    public void EveryCatalogEntryOfTheLibrary_IsInTheLibraryList()
    {
        var declared = typeof(KernelEntry).Assembly.GetTypes()
            .SelectMany(type => type.GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static))
            .Where(field => typeof(KernelEntry).IsAssignableFrom(field.FieldType))
            .Select(field => (KernelEntry)field.GetValue(null)!)
            .ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(declared, Has.Length.EqualTo(40), "every family's public entries (a new kernel: add it and raise this)");
            Assert.That(KernelEntries.Library, Is.EquivalentTo(declared));
        });
    }

    [Test]
    public void TheCatalog_ListsEachKernelMethodOnce_UnderAUniqueName()
    {
        var all = ModelKernelCatalog.Library;
        Assert.Multiple(() =>
        {
            Assert.That(all.Select(e => e.Method).Distinct().Count(), Is.EqualTo(all.Count));
            Assert.That(all.Select(e => e.Name).Distinct().Count(), Is.EqualTo(all.Count));
            Assert.That(all.Count(e => e.Grouping == KernelGrouping.Explicit), Is.EqualTo(10), "five families × forward/reverse group sweeps");
            Assert.That(all, Has.Count.EqualTo(59), "40 in FastWeights.Kernels, 19 in FastWeights.Model (a new kernel: add it and raise this)");
        });
    }

    [Test]
    public void Loading_IsOncePerAccelerator_AndSharedByLayers()
    {
        var acc = Devices.CpuNvidia.Accelerator;
        var first = LstmForwardSweep.GroupEntry.Load(acc);
        var again = LstmForwardSweep.GroupEntry.Load(acc);
        using var layer = new LstmLayer(acc, new LstmOptions { InputSize = 2, HiddenSize = 4, Schedule = FastWeights.Kernels.Core.SweepSchedule.Group });
        var other = Devices.Cpu.Accelerator;
        var elsewhere = LstmForwardSweep.GroupEntry.Load(other);
        Assert.Multiple(() =>
        {
            Assert.That(again, Is.SameAs(first));
            Assert.That(LstmForwardSweep.GroupEntry.Load(acc), Is.SameAs(first), "the layer did not load a second copy");
            Assert.That(elsewhere, Is.Not.SameAs(first), "another accelerator compiles its own");
        });
    }
}
