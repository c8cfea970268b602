using System.CommandLine;
using FastWeights.Bench.Cli;

namespace FastWeights.Bench.Commands;

/// <summary>
/// The layer-shape options the layer probes share (`time`, `floor`, `crossover`): B, T, I, H, S, λ, the accelerator and
/// the repetitions (and their check); an instance holds the required --batch, --time, --input, --hidden and --inner
/// (default 1) of `time` and `floor`.
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

    /// <summary>--repeat, the timed repetitions of a probe (default <paramref name="defaultValue"/>), described by <paramref name="description"/>.</summary>
    public static Option<int> Repeat(string description, int defaultValue) =>
        new("--repeat") { Description = description, DefaultValueFactory = _ => defaultValue };

    /// <summary>Refuses --repeat below 1.</summary>
    /// <exception cref="CommandInputException">repeat &lt; 1.</exception>
    public static void RequireRepeats(int repeat)
    {
        if (repeat < 1) throw new CommandInputException($"--repeat must be >= 1, got {repeat}.");
    }

    /// <summary>--accelerator, auto|cpu|cuda (default <paramref name="defaultValue"/>).</summary>
    public static Option<string> Accelerator(string defaultValue = "auto") =>
        new("--accelerator") { Description = "auto|cpu|cuda.", DefaultValueFactory = _ => defaultValue };
}
