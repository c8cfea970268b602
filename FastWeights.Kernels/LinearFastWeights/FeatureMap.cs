namespace FastWeights.Kernels.LinearFastWeights;

/// <summary>
/// The feature map φ applied to keys and queries before they address the fast-weight memory
/// (Schlag, Irie and Schmidhuber 2021, §5). Sizes: <see cref="FeatureMaps.FeatureSize"/>.
/// </summary>
public enum FeatureMap
{
    /// <summary>φ(x) = x (size d): plain linear attention without a kernel. Can be negative, so the
    /// normalisations (which divide by a sum of features) are ill-conditioned with it.</summary>
    Identity = 0,

    /// <summary>φ(x)_i = ELU(x_i) + 1, i.e. x_i + 1 for x_i &gt; 0 and exp(x_i) otherwise (size d; Katharopoulos et al. 2020).</summary>
    EluPlusOne = 1,

    /// <summary>DPFP with ν = 1: r = ReLU([x, −x]) (size 2d), φ = r ⊙ roll(r, 1) (size 2d).</summary>
    Dpfp1 = 2,

    /// <summary>DPFP with ν = 2: φ = [r ⊙ roll(r, 1), r ⊙ roll(r, 2)] (size 4d).</summary>
    Dpfp2 = 3,

    /// <summary>DPFP with ν = 3: φ = [r ⊙ roll(r, 1), r ⊙ roll(r, 2), r ⊙ roll(r, 3)] (size 6d).</summary>
    Dpfp3 = 4,
}
