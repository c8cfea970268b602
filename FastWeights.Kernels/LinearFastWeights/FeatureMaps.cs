namespace FastWeights.Kernels.LinearFastWeights;

/// <summary>Host-side facts about <see cref="FeatureMap"/>: output sizes and the DPFP order ν.</summary>
public static class FeatureMaps
{
    /// <summary>
    /// d', the size of φ(x) for x of size <paramref name="keySize"/>: d for <see cref="FeatureMap.Identity"/>
    /// and <see cref="FeatureMap.EluPlusOne"/>, 2νd for DPFP-ν (2d, 4d, 6d).
    /// </summary>
    /// <param name="map">The feature map.</param>
    /// <param name="keySize">d ≥ 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="map"/> is undefined, <paramref name="keySize"/> &lt; 1,
    /// or d' does not fit 32 bits.</exception>
    public static int FeatureSize(this FeatureMap map, int keySize)
    {
        if (keySize < 1) throw new ArgumentOutOfRangeException(nameof(keySize), keySize, "keySize (d) must be ≥ 1.");
        long size = (long)keySize * Multiplier(map);
        if (size > int.MaxValue / 8) throw new ArgumentOutOfRangeException(nameof(keySize), keySize, "The feature size d' is too large.");
        return (int)size;
    }

    /// <summary>ν of a DPFP map (1, 2 or 3); 0 for the maps that are not DPFP.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="map"/> is undefined.</exception>
    public static int DpfpOrder(this FeatureMap map) => map switch
    {
        FeatureMap.Identity or FeatureMap.EluPlusOne => 0,
        FeatureMap.Dpfp1 => 1,
        FeatureMap.Dpfp2 => 2,
        FeatureMap.Dpfp3 => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(map), map, "Unknown feature map."),
    };

    private static int Multiplier(FeatureMap map) => map.DpfpOrder() is var nu and > 0 ? 2 * nu : 1;
}
