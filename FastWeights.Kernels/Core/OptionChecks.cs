using System.Runtime.CompilerServices;

namespace FastWeights.Kernels.Core;

/// <summary>
/// The checks every layer's options make (<c>Validate</c>), each throwing <see cref="ArgumentOutOfRangeException"/> that
/// names the option, carries its value and says the rule: written once so that every layer words them alike.
/// </summary>
internal static class OptionChecks
{
    /// <summary>A size ≥ 1: "<c>Name (symbol) must be ≥ 1.</c>" (without the symbol when it is null).</summary>
    public static void AtLeastOne(int value, string? symbol, [CallerArgumentExpression(nameof(value))] string name = "")
    {
        if (value < 1)
            throw new ArgumentOutOfRangeException(name, value, symbol is null ? $"{name} must be ≥ 1." : $"{name} ({symbol}) must be ≥ 1.");
    }

    /// <summary>A finite value &gt; 0 (NaN and ±∞ refused): "<c>Name (symbol) must be finite and &gt; 0.</c>"</summary>
    public static void PositiveFinite(double value, string symbol, [CallerArgumentExpression(nameof(value))] string name = "")
    {
        if (!(value > 0.0 && double.IsFinite(value)))
            throw new ArgumentOutOfRangeException(name, value, $"{name} ({symbol}) must be finite and > 0.");
    }

    /// <summary>A defined member of its enum: "<c>Unknown what.</c>"</summary>
    public static void Known<TEnum>(TEnum value, string what, [CallerArgumentExpression(nameof(value))] string name = "")
        where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value)) throw new ArgumentOutOfRangeException(name, value, $"Unknown {what}.");
    }

    /// <summary>
    /// A size whose matrices the kernels index with 32-bit offsets: refused, naming <paramref name="name"/>, when
    /// <paramref name="tooLarge"/>: "<c>Name is too large: what must fit a 32-bit index.</c>"
    /// </summary>
    public static void FitsIndex(bool tooLarge, int value, string name, string what)
    {
        if (tooLarge) throw new ArgumentOutOfRangeException(name, value, $"{name} is too large: {what} must fit a 32-bit index.");
    }

    /// <summary>
    /// The options of a gated, layer-normalised cell with <paramref name="gates"/> row blocks (the LSTM's 4, the GRU's 3),
    /// in this order: I, H ≥ 1, ε finite and &gt; 0, a known schedule, then gates·H² and gates·H·I within 32-bit offsets.
    /// </summary>
    public static void GatedCell(RecurrentCellOptions options, int gates)
    {
        int inputSize = options.InputSize, hiddenSize = options.HiddenSize;
        AtLeastOne(inputSize, "I", "InputSize");
        AtLeastOne(hiddenSize, "H", "HiddenSize");
        PositiveFinite(options.LayerNormEpsilon, "ε", "LayerNormEpsilon");
        Known(options.Schedule, "schedule", "Schedule");
        // The kernels index gates·H×H and gates·H×I matrices with 32-bit offsets.
        FitsIndex((long)hiddenSize * hiddenSize * gates > int.MaxValue, hiddenSize, "HiddenSize", $"{gates}H²");
        FitsIndex((long)hiddenSize * inputSize * gates > int.MaxValue, inputSize, "InputSize", $"{gates}H·I");
    }
}
