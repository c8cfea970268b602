using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace FastWeights.Bench.Reporting;

/// <summary>What a progress display shows about the latest steps. Accuracies are fractions in [0, 1].</summary>
/// <param name="Loss">Recent training loss.</param>
/// <param name="Accuracy">Recent training accuracy.</param>
/// <param name="ValidationAccuracy">Latest validation accuracy, or null before the first evaluation.</param>
/// <param name="StepsPerSecond">Recent throughput.</param>
/// <param name="LearningRate">Current learning rate.</param>
internal readonly record struct ProgressStats(
    double Loss,
    double Accuracy,
    double? ValidationAccuracy,
    double StepsPerSecond,
    double LearningRate);

/// <summary>Where the training loop sends its progress while a <see cref="IProgressReporter"/> runs it.</summary>
internal interface IProgressSink
{
    /// <summary>Step <paramref name="step"/> of <paramref name="total"/> is done.</summary>
    void Report(long step, long total, ProgressStats stats);

    /// <summary>A line of text for the user (an evaluation result, a checkpoint saved, …).</summary>
    void Log(string line);
}

/// <summary>
/// Runs a training loop with a progress display: the loop is the <c>body</c> passed to <see cref="Run"/>
/// and reports through the sink it is given; <see cref="Run"/> returns when the body does and rethrows
/// what it throws.
/// </summary>
internal interface IProgressReporter
{
    /// <summary>Runs <paramref name="body"/> on the calling thread with a sink for its progress.</summary>
    void Run(Action<IProgressSink> body);
}

/// <summary>Picks the progress display for the process's console.</summary>
internal static class ProgressReporter
{
    /// <summary>
    /// The live Spectre.Console bar when stdout is an interactive terminal, else plain lines on stdout
    /// every <paramref name="everySteps"/> steps or every 10 s.
    /// </summary>
    public static IProgressReporter ForConsole(long everySteps = 100) =>
        UseLiveDisplay(Console.IsOutputRedirected, AnsiConsole.Profile.Capabilities.Interactive)
            ? new SpectreProgressReporter(AnsiConsole.Console)
            : new PlainProgressReporter(Console.Out, everySteps);

    /// <summary>The rule of <see cref="ForConsole"/>: live only on a terminal that Spectre finds interactive.</summary>
    public static bool UseLiveDisplay(bool outputRedirected, bool interactive) => !outputRedirected && interactive;

    /// <summary>
    /// The one-line summary both displays use, e.g.
    /// <c>loss 0.4123  acc 87.5%  val_acc 86.9%  41.2 steps/s  lr 1.0e-3</c> (no <c>val_acc</c> before the first evaluation).
    /// </summary>
    public static string FormatStats(ProgressStats stats)
    {
        var c = CultureInfo.InvariantCulture;
        string validation = stats.ValidationAccuracy is { } va ? string.Create(c, $"  val_acc {100 * va:0.0}%") : "";
        return string.Create(c,
            $"loss {stats.Loss:0.0000}  acc {100 * stats.Accuracy:0.0}%{validation}  {stats.StepsPerSecond:0.0} steps/s  lr {stats.LearningRate:0.0e0}");
    }

    /// <summary>
    /// The live bar's description, short enough to share an 80-column line with the bar:
    /// <c>1200/20000 loss 0.4123 acc 87.5% val 86.9% 41.2/s lr 1.0e-3</c>.
    /// </summary>
    public static string FormatCompact(long step, long total, ProgressStats stats)
    {
        var c = CultureInfo.InvariantCulture;
        string validation = stats.ValidationAccuracy is { } va ? string.Create(c, $" val {100 * va:0.0}%") : "";
        return string.Create(c,
            $"{step}/{total} loss {stats.Loss:0.0000} acc {100 * stats.Accuracy:0.0}%{validation} {stats.StepsPerSecond:0.0}/s lr {stats.LearningRate:0.0e0}");
    }

    /// <summary>The plain display's line: <c>step 1200/20000  </c> then <see cref="FormatStats"/>.</summary>
    public static string FormatLine(long step, long total, ProgressStats stats) =>
        string.Create(CultureInfo.InvariantCulture, $"step {step}/{total}  {FormatStats(stats)}");
}

/// <summary>
/// Plain progress for logs and pipes: one <see cref="ProgressReporter.FormatLine"/> line when at least
/// <c>everySteps</c> steps have passed since the last line, or at least <c>interval</c> (10 s by default)
/// of wall time, and always for the last step; <see cref="IProgressSink.Log"/> lines as they come.
/// </summary>
internal sealed class PlainProgressReporter : IProgressReporter
{
    private readonly TextWriter _output;
    private readonly long _everySteps;
    private readonly TimeSpan _interval;
    private readonly Func<TimeSpan> _clock;

    /// <summary>A reporter writing to <paramref name="output"/>.</summary>
    /// <param name="output">Where lines go; flushed after each.</param>
    /// <param name="everySteps">Steps between lines, ≥ 1.</param>
    /// <param name="interval">Longest wall time between lines; 10 s when null.</param>
    /// <param name="clock">Elapsed time source (for tests); a <see cref="Stopwatch"/> when null.</param>
    public PlainProgressReporter(TextWriter output, long everySteps = 100, TimeSpan? interval = null, Func<TimeSpan>? clock = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(everySteps, 1);
        _output = output;
        _everySteps = everySteps;
        _interval = interval ?? TimeSpan.FromSeconds(10);
        if (clock is null)
        {
            var watch = Stopwatch.StartNew();
            clock = () => watch.Elapsed;
        }
        _clock = clock;
    }

    /// <inheritdoc />
    public void Run(Action<IProgressSink> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        body(new Sink(this));
    }

    private sealed class Sink(PlainProgressReporter owner) : IProgressSink
    {
        private long _lastStep;
        private TimeSpan _lastTime = owner._clock();

        public void Report(long step, long total, ProgressStats stats)
        {
            var now = owner._clock();
            if (step - _lastStep < owner._everySteps && now - _lastTime < owner._interval && step != total) return;
            _lastStep = step;
            _lastTime = now;
            Log(ProgressReporter.FormatLine(step, total, stats));
        }

        public void Log(string line)
        {
            owner._output.WriteLine(line);
            owner._output.Flush();
        }
    }
}

/// <summary>
/// A live Spectre.Console progress bar: one task whose description carries
/// <see cref="ProgressReporter.FormatCompact"/>, with percentage and remaining time. The body
/// runs inside <see cref="Progress.Start(Action{ProgressContext})"/> on the calling thread while Spectre
/// redraws from its own refresh thread; <see cref="IProgressSink.Log"/> lines print above the bar.
/// </summary>
internal sealed class SpectreProgressReporter : IProgressReporter
{
    private readonly IAnsiConsole _console;

    /// <summary>A reporter drawing on <paramref name="console"/> (<see cref="AnsiConsole.Console"/> when null).</summary>
    public SpectreProgressReporter(IAnsiConsole? console = null) => _console = console ?? AnsiConsole.Console;

    /// <inheritdoc />
    public void Run(Action<IProgressSink> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        _console.Progress()
            .AutoClear(false)
            .Columns(
                new TaskDescriptionColumn { Alignment = Justify.Left },
                new ProgressBarColumn { Width = 16 },
                new PercentageColumn(),
                new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("starting", autoStart: true, maxValue: 1);
                task.IsIndeterminate = true;
                body(new Sink(_console, task));
                task.StopTask();
            });
    }

    private sealed class Sink(IAnsiConsole console, ProgressTask task) : IProgressSink
    {
        public void Report(long step, long total, ProgressStats stats)
        {
            task.IsIndeterminate = false;
            task.MaxValue = Math.Max(1, total);
            task.Value = Math.Min(step, task.MaxValue);
            task.Description = Markup.Escape(ProgressReporter.FormatCompact(step, total, stats));
        }

        public void Log(string line) => console.WriteLine(line);
    }
}
