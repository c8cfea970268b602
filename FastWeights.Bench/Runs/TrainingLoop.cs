using System.Diagnostics;
using FastWeights.Bench.Reporting;
using FastWeights.Model.Distributed;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Runs;

/// <summary>
/// The step loop of a training run (`retrieval train`, `lm train`), with what the run plugs in: how it trains a step, how
/// it validates and saves, and how it shows a report. The loop stops on Ctrl-C, when the wall time reaches the budget (the
/// ranks of a data-parallel run agree to stop together), at the step limit, or when <see cref="ReachedTarget"/> says so.
/// Each report (<see cref="ReportWindow.Reports"/>) validates and saves a checkpoint when the step is a validation step,
/// appends a metrics.csv row and hands it to <see cref="Report"/>. A step that diverges, or a checkpoint refused because
/// the parameters are not finite, ends the run with an error after the loop; the last good checkpoint stays as it is.
/// </summary>
/// <typeparam name="TEval">What a validation gives (its loss and accuracy through <see cref="Scores"/>).</typeparam>
internal sealed class TrainingLoop<TEval>
    where TEval : struct
{
    /// <summary>The trainer's step count.</summary>
    public required Func<long> Step { get; init; }

    /// <summary>Trains one step; throws <see cref="TrainingDivergedException"/> when it diverges.</summary>
    public required Func<TrainStepResult> TrainStep { get; init; }

    /// <summary>Evaluates on the validation split.</summary>
    public required Func<TEval> Validate { get; init; }

    /// <summary>Saves a checkpoint; throws <see cref="CheckpointException"/> when the parameters are not finite.</summary>
    public required Action Save { get; init; }

    /// <summary>The loss and accuracy of a validation (the metrics row's columns).</summary>
    public required Func<TEval, (double Loss, double Accuracy)> Scores { get; init; }

    /// <summary>Shows a report: its step, metrics row, validation (at a validation step) and steps per second.</summary>
    public required Action<IProgressSink, TrainStepResult, MetricsRecord, TEval?, double> Report { get; init; }

    /// <summary>Whether the run stops after this report (it says why on the sink); never, when null.</summary>
    public Func<IProgressSink, TEval?, bool>? ReachedTarget { get; init; }

    /// <summary>
    /// A loop that stops after <paramref name="steps"/> steps (in total, counting resumed ones) or when
    /// <paramref name="timeBudget"/> of wall time has passed in this process (null: no limit), validates (and saves a
    /// checkpoint) every <paramref name="evaluateEvery"/> steps and reports every <paramref name="reportEvery"/> steps.
    /// </summary>
    public TrainingLoop(long steps, TimeSpan? timeBudget, int evaluateEvery, int reportEvery)
    {
        Steps = steps;
        TimeBudget = timeBudget;
        EvaluateEvery = evaluateEvery;
        ReportEvery = reportEvery;
    }

    private long Steps { get; }

    private TimeSpan? TimeBudget { get; }

    private int EvaluateEvery { get; }

    private int ReportEvery { get; }

    /// <summary>
    /// Runs the loop, writing rows to
    /// <paramref name="metrics"/> (disposed at the end; null on the ranks that write nothing) and timing rows from
    /// <paramref name="elapsedBefore"/> plus <paramref name="wall"/>. Returns why it stopped and the step of the last
    /// checkpoint (<paramref name="lastSaved"/> until it saves one). <paramref name="collective"/> holds the ranks of a
    /// data-parallel run (null: this process alone).
    /// </summary>
    /// <exception cref="Cli.CommandInputException">The run diverged (<see cref="RunFolder.Diverged"/>).</exception>
    public (StopReason Stop, long LastSaved) Run(IProgressReporter reporter, MetricsLog? metrics, long lastSaved, string checkpointDirectory,
        Stopwatch wall, double elapsedBefore, CancellationToken cancel, ICollective? collective = null)
    {
        collective ??= SingleProcess.Instance;
        var stop = StopReason.StepLimit;
        string? diverged = null;
        using (metrics)
        {
            reporter.Run(sink =>
            {
                var window = new ReportWindow(Step());
                while (Step() < Steps)
                {
                    bool interrupted = cancel.IsCancellationRequested;
                    bool outOfTime = TimeBudget is { } budget && wall.Elapsed >= budget;
                    // Wall clocks and signals differ between ranks: they agree to stop together, or one would wait forever.
                    if (collective.Size > 1 && collective.Any(interrupted || outOfTime) && !interrupted) outOfTime = true;
                    if (interrupted) { stop = StopReason.Interrupted; break; }
                    if (outOfTime) { stop = StopReason.TimeBudget; break; }
                    TrainStepResult last;
                    try { last = TrainStep(); }
                    catch (TrainingDivergedException e) { diverged = e.Message.TrimEnd('.'); break; }
                    window.Add(last);
                    bool evaluate = last.Step % EvaluateEvery == 0;
                    if (ReportWindow.Reports(last.Step, ReportEvery, evaluate, Steps))
                    {
                        double stepsPerSecond = window.StepsPerSecond(Step());
                        TEval? val = null;
                        if (evaluate)
                        {
                            val = Validate();
                            try { Save(); }
                            catch (CheckpointException e) { diverged = ReportWindow.DivergedSave(last.Step, e); break; }
                            lastSaved = Step();
                        }
                        (double Loss, double Accuracy)? scores = val is { } v ? Scores(v) : null;
                        var record = window.Record(last, elapsedBefore + wall.Elapsed.TotalSeconds, scores?.Loss, scores?.Accuracy, stepsPerSecond);
                        metrics?.Append(record);
                        Report(sink, last, record, val, stepsPerSecond);
                        window.Restart(Step());
                        if (ReachedTarget?.Invoke(sink, val) == true)
                        {
                            stop = StopReason.TargetReached;
                            break;
                        }
                    }
                }
            });
        }

        // A diverged state is never saved: the last good checkpoint stays as it is.
        if (diverged is not null)
            throw RunFolder.Diverged(diverged, lastSaved, checkpointDirectory);
        return (stop, lastSaved);
    }
}
