namespace FastWeights.Tests.Bench;

/// <summary>What the plot tests check a written file against.</summary>
public static class Png
{
    /// <summary>The eight bytes every PNG file starts with.</summary>
    public static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
}
