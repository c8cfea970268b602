namespace FastWeights.Kernels.Lstm;

/// <summary>
/// Sizes and settings of a layer-normalised LSTM (<see cref="LstmLayer"/>, docs/lstm.md): H is the hidden and cell
/// size, the gate weights are 4H×H and 4H×I. Immutable once a layer is built from it.
/// </summary>
public sealed record LstmOptions : RecurrentCellOptions
{
    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">A size or ε out of range (NaN and ±Inf included), an unknown schedule,
    /// or 4H² or 4H·I beyond 32-bit offsets.</exception>
    public override void Validate() => OptionChecks.GatedCell(this, gates: 4);
}
