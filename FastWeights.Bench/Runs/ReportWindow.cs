using System.Diagnostics;
using FastWeights.Bench.Reporting;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Runs;

/// <summary>
/// The training steps since the last progress report of a run (`retrieval train`, `lm train`): their mean loss and
/// accuracy, and the steps per second they ran at; one metrics.csv row is made from them at each report.
/// </summary>
internal sealed class ReportWindow(long step)
{
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private long start = step;
    private double lossSum, accSum;
    private int count;

    /// <summary>Whether <paramref name="step"/> gets a report: every <paramref name="reportEvery"/> steps, at each validation and at the last step.</summary>
    public static bool Reports(long step, int reportEvery, bool evaluate, long steps) => step % reportEvery == 0 || evaluate || step == steps;

    /// <summary>Adds a step's loss and accuracy.</summary>
    public void Add(TrainStepResult result)
    {
        lossSum += result.Loss; accSum += result.Accuracy; count++;
    }

    /// <summary>Steps per second since the window started, now that the run is at <paramref name="step"/>.</summary>
    public double StepsPerSecond(long step) => (step - start) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);

    /// <summary>The metrics row of the report at <paramref name="last"/>: the window's means, the validation (if any) and the rate.</summary>
    public MetricsRecord Record(TrainStepResult last, double elapsedSeconds, double? validationLoss, double? validationAccuracy, double stepsPerSecond) =>
        new(last.Step, elapsedSeconds, lossSum / count, accSum / count, validationLoss, validationAccuracy, last.LearningRate, last.GradNorm, stepsPerSecond);

    /// <summary>Starts the next window at <paramref name="step"/>.</summary>
    public void Restart(long step)
    {
        lossSum = accSum = 0; count = 0;
        clock.Restart(); start = step;
    }

    /// <summary>The message of a checkpoint refused after <paramref name="step"/> because the parameters are not finite.</summary>
    public static string DivergedSave(long step, CheckpointException e) =>
        $"training diverged: the parameters after step {step} are not finite ({e.Message.TrimEnd('.')})";
}
