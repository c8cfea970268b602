namespace FastWeights.Kernels.Gru;

/// <summary>
/// Sizes and settings of a layer-normalised GRU (<see cref="GruLayer"/>, docs/gru.md): the weights are 3H×H and
/// 3H×I. Immutable once a layer is built from it.
/// </summary>
public sealed record GruOptions : RecurrentCellOptions
{
    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">A size or ε out of range (NaN and ±Inf included), an unknown schedule,
    /// or 3H² or 3H·I beyond 32-bit offsets.</exception>
    public override void Validate() => OptionChecks.GatedCell(this, gates: 3);
}
