// Training a tiny fast-weight model with FastWeights.Model: the associative-retrieval task of Ba et al. 2016 with
// K = 2 letter-digit pairs ("a3b7??b" -> 7), a recurrent layer of 20 units, Adam. A few seconds on the CPU accelerator.
// Usage: TrainTinyModel [steps]   (default 400)
using FastWeights.Kernels.Core;
using FastWeights.Model.Layers;
using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Model.Training;

int steps = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 400;
const int pairs = 2, batch = 32;

using var device = ComputeDevice.Open(AcceleratorKind.Auto);   // CUDA if present, else CPU
Console.WriteLine($"accelerator: {device.Describe()}");

// Disjoint train/validation/test splits, generated from a seed (no files to download).
RetrievalSplits data = RetrievalDataset.Create(pairs, train: 4000, validation: 500, test: 500, seed: 1);

var config = new RetrievalModelConfig
{
    Kind = RecurrentKind.FastWeights, Hidden = 20, Embedding = 20, DenseHidden = 20,
    Decay = 0.95, FastLearningRate = 0.5, SequenceLength = RetrievalGenerator.SequenceLength(pairs),
};
using var model = new RetrievalModel(device.Accelerator, config, maxBatch: batch);
model.Initialize(seed: 1);
using var trainer = new RetrievalTrainer(model, data, new TrainingOptions { BatchSize = batch, LearningRate = 3e-3, ClipNorm = 5 });

double first = double.NaN, recent = 0;
for (int step = 1; step <= steps; step++)
{
    TrainStepResult r = trainer.TrainStep();
    if (step == 1) first = r.Loss;
    recent = step == 1 ? r.Loss : 0.9 * recent + 0.1 * r.Loss;   // smoothed training loss
    if (step % 100 == 0 || step == steps)
        Console.WriteLine($"step {step,4}: loss {r.Loss:F4} (smoothed {recent:F4}), batch accuracy {r.Accuracy:P1}, |grad| {r.GradNorm:F3}");
}

EvaluationResult validation = trainer.Evaluate(data.Validation);
Console.WriteLine($"validation: loss {validation.Loss:F4}, accuracy {validation.Accuracy:P2} over {validation.Count} examples");

// Checkpoints are atomic folders holding the weights, Adam's state and the run's metadata; Resume continues exactly.
string checkpoint = Path.Combine(Path.GetTempPath(), $"fastweights-sample-{Environment.ProcessId}");
trainer.Save(checkpoint);
Console.WriteLine($"checkpoint: {checkpoint} ({Directory.GetFiles(checkpoint).Length} files)");
Directory.Delete(checkpoint, recursive: true);

// Chance is ln 10 ≈ 2.30 on the 10 digits; a model that learned anything is well below its first loss.
if (!(validation.Loss < first))
{
    Console.Error.WriteLine($"TrainTinyModel: error: the validation loss {validation.Loss:F4} is not below the first training loss {first:F4}");
    return 1;
}
return 0;
