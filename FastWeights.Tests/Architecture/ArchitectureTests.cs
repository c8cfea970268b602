using ArchUnitNET.Fluent;
using ArchUnitNET.Fluent.Slices;
using ArchUnitNET.Loader;
using ArchUnitNET.NUnit;
using static ArchUnitNET.Fluent.ArchRuleDefinition;

namespace FastWeights.Tests.Architecture;

/// <summary>
/// The layering of the three projects and the folder graph inside each, checked on the compiled assemblies
/// (docs/design.md §1). A folder is a namespace; a dependency is any use of a type (fields, signatures, calls,
/// generic arguments), which is what ArchUnitNET reads from the IL.
/// </summary>
/// <remarks>
/// The fixture tests at the end apply the same rules to two deliberately broken namespaces of this test assembly
/// (<see cref="Fixtures"/>), so that a rule that silently passes everything would fail here.
/// </remarks>
public sealed class ArchitectureTests
{
    private static readonly System.Reflection.Assembly KernelsAssembly = System.Reflection.Assembly.Load("FastWeights.Kernels");
    private static readonly System.Reflection.Assembly ModelAssembly = System.Reflection.Assembly.Load("FastWeights.Model");
    private static readonly System.Reflection.Assembly BenchAssembly = System.Reflection.Assembly.Load("FastWeights.Bench");

    private static readonly Lazy<ArchUnitNET.Domain.Architecture> Library = new(() =>
        new ArchLoader().LoadAssemblies(KernelsAssembly, ModelAssembly, BenchAssembly).Build());

    private static readonly Lazy<ArchUnitNET.Domain.Architecture> Broken = new(() =>
        new ArchLoader().LoadAssemblies(typeof(ArchitectureTests).Assembly).Build());

    /// <summary>Kernels is the bottom layer: it never names a type of Model or Bench.</summary>
    [Test]
    public void KernelsUsesNeitherModelNorBench() =>
        Types().That().ResideInAssembly(KernelsAssembly).Should()
            .NotDependOnAny(Types().That().ResideInAssembly(ModelAssembly).Or().ResideInAssembly(BenchAssembly))
            .Check(Library.Value);

    /// <summary>Model sits on Kernels only: it never names a type of Bench.</summary>
    [Test]
    public void ModelDoesNotUseBench() =>
        Types().That().ResideInAssembly(ModelAssembly).Should()
            .NotDependOnAny(Types().That().ResideInAssembly(BenchAssembly))
            .Check(Library.Value);

    /// <summary>
    /// Model sees Kernels through its public API only: Kernels grants its internals to the tests and the benchmarks
    /// (which measure and check internal kernels), never to Model.
    /// </summary>
    [Test]
    public void KernelsDoesNotGrantModelItsInternals()
    {
        var friends = KernelsAssembly.GetCustomAttributes(typeof(System.Runtime.CompilerServices.InternalsVisibleToAttribute), false)
            .Cast<System.Runtime.CompilerServices.InternalsVisibleToAttribute>().Select(a => a.AssemblyName).ToArray();
        Assert.That(friends, Does.Not.Contain("FastWeights.Model"));
        Assert.That(friends, Is.Not.Empty, "the attribute list was read (the tests themselves are a friend)");
    }

    /// <summary>
    /// No two folders (namespaces) of a project use each other, directly or around a longer loop. Each namespace is
    /// its own slice, nested ones included (FastWeights.Model.Tasks.Retrieval is not FastWeights.Model.Tasks), and a
    /// project's root namespace is a slice too.
    /// </summary>
    [TestCase("FastWeights.Kernels")]
    [TestCase("FastWeights.Model")]
    [TestCase("FastWeights.Bench")]
    public void NoNamespaceCycles(string project) =>
        SliceRuleDefinition.Slices().Matching("FastWeights.(**)")
            .Should().BeFreeOfCycles()
            .Check(ProjectOnly(project));

    /// <summary>The cycle rule fails on two fixture namespaces that use each other.</summary>
    [Test]
    public void CycleRuleCatchesACycle()
    {
        IArchRule rule = SliceRuleDefinition.Slices().Matching("FastWeights.Tests.Architecture.Fixtures.(**)").Should().BeFreeOfCycles();
        Assert.That(rule.HasNoViolations(Broken.Value), Is.False);
    }

    /// <summary>The layering rule fails on a fixture "lower" namespace that uses an "upper" one.</summary>
    [Test]
    public void LayerRuleCatchesAnUpwardUse()
    {
        IArchRule rule = Types().That().ResideInNamespace(typeof(Fixtures.Lower.LowerType).Namespace!).Should()
            .NotDependOnAny(Types().That().ResideInNamespace(typeof(Fixtures.Upper.UpperType).Namespace!));
        Assert.That(rule.HasNoViolations(Broken.Value), Is.False);
    }

    private static ArchUnitNET.Domain.Architecture ProjectOnly(string project) => project switch
    {
        "FastWeights.Kernels" => new ArchLoader().LoadAssemblies(KernelsAssembly).Build(),
        "FastWeights.Model" => new ArchLoader().LoadAssemblies(ModelAssembly).Build(),
        "FastWeights.Bench" => new ArchLoader().LoadAssemblies(BenchAssembly).Build(),
        _ => throw new ArgumentOutOfRangeException(nameof(project)),
    };
}
