// Deliberately broken namespaces: the architecture rules must report them (ArchitectureTests' fixture tests).
// Nothing else uses these types.
namespace FastWeights.Tests.Architecture.Fixtures.Lower
{
    /// <summary>Uses the upper namespace (an upward use) and takes part in a cycle with it.</summary>
    public static class LowerType
    {
        public static int Read() => Upper.UpperType.Value;
        public static int One() => 1;
    }
}

namespace FastWeights.Tests.Architecture.Fixtures.Upper
{
    /// <summary>Uses the lower namespace, closing the cycle.</summary>
    public static class UpperType
    {
        public static int Value => Lower.LowerType.One() + 1;
    }
}
