namespace FastWeights.Model.Training;

/// <summary>What one training step did.</summary>
/// <param name="Step">Steps completed after this one (1-based).</param>
/// <param name="Loss">Mean training loss of the batch.</param>
/// <param name="Accuracy">Training accuracy of the batch (0..1).</param>
/// <param name="LearningRate">Learning rate used.</param>
/// <param name="GradNorm">Global gradient norm before clipping.</param>
public readonly record struct TrainStepResult(long Step, double Loss, double Accuracy, double LearningRate, double GradNorm);
