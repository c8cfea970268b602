using System.CommandLine;

namespace FastWeights.Bench.Commands;

/// <summary>
/// The layer-shape options the layer probes share (`time`, `floor`, `crossover`): B, T, I, H, S, λ and the accelerator;
/// an instance holds the required --batch, --time, --input, --hidden and --inner (default 1) of `time` and `floor`.
/// </summary>
internal sealed class LayerShapeOptions
{
    /// <summary>--batch, B.</summary>
    public Option<int> Batch { get; } = Size("--batch", "B");

    /// <summary>--time, T.</summary>
    public Option<int> Time { get; } = Size("--time", "T");

    /// <summary>--input, I.</summary>
    public Option<int> Input { get; } = Size("--input", "I");

    /// <summary>--hidden, H.</summary>
    public Option<int> Hidden { get; } = Size("--hidden", "H");

    /// <summary>--inner, S.</summary>
    public Option<int> Inner { get; } = InnerSteps();

    /// <summary>A required size such as --batch, described as "B (>= 1).".</summary>
    public static Option<int> Size(string name, string symbol) => new(name) { Description = $"{symbol} (>= 1).", Required = true };

    /// <summary>A size such as --batch with a default, described as "B (>= 1).".</summary>
    public static Option<int> Size(string name, string symbol, int defaultValue) =>
        new(name) { Description = $"{symbol} (>= 1).", DefaultValueFactory = _ => defaultValue };

    /// <summary>--inner, S (default 1).</summary>
    public static Option<int> InnerSteps() => Size("--inner", "S", 1);

    /// <summary>--decay, λ (default 0.95).</summary>
    public static Option<double> Decay() => new("--decay") { Description = "λ in (0, 1].", DefaultValueFactory = _ => 0.95 };

    /// <summary>--accelerator, auto|cpu|cuda (default <paramref name="defaultValue"/>).</summary>
    public static Option<string> Accelerator(string defaultValue = "auto") =>
        new("--accelerator") { Description = "auto|cpu|cuda.", DefaultValueFactory = _ => defaultValue };
}
