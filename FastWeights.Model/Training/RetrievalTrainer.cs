using System.Globalization;
using FastWeights.Model.Models;
using FastWeights.Model.Tasks.Retrieval;

namespace FastWeights.Model.Training;

/// <summary>What one training step did.</summary>
/// <param name="Step">Steps completed after this one (1-based).</param>
/// <param name="Loss">Mean training loss of the batch.</param>
/// <param name="Accuracy">Training accuracy of the batch (0..1).</param>
/// <param name="LearningRate">Learning rate used.</param>
/// <param name="GradNorm">Global gradient norm before clipping.</param>
public readonly record struct TrainStepResult(long Step, double Loss, double Accuracy, double LearningRate, double GradNorm);

/// <summary>Loss and accuracy over a whole split.</summary>
/// <param name="Loss">Mean cross-entropy.</param>
/// <param name="Accuracy">Fraction correct (0..1).</param>
/// <param name="Count">Examples.</param>
public readonly record struct EvaluationResult(double Loss, double Accuracy, int Count);

/// <summary>
/// Trains a <see cref="RetrievalModel"/> with Adam and global-norm clipping on the training split.
/// The data order is a function of (seed, step) alone: the batches of epoch e come from a shuffle seeded
/// by (seed, e), so a run resumed at step s sees exactly the batches an uninterrupted run would have.
/// </summary>
public sealed class RetrievalTrainer : IDisposable
{
    private readonly RetrievalModel model;
    private readonly RetrievalSplits data;
    private readonly BatchSampler sampler;
    private readonly GradientNorm gradientNorm;
    private readonly int[] batchTokens, batchTargets;
    private long sampledEpoch = -1;

    /// <summary>Builds the optimizer over the model's parameters.</summary>
    /// <exception cref="ArgumentException">The data's sequence length differs from the model's, or the batch exceeds the model's.</exception>
    public RetrievalTrainer(RetrievalModel model, RetrievalSplits data, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (data.Train.SequenceLength != model.Config.SequenceLength)
            throw new ArgumentException($"the data has sequences of {data.Train.SequenceLength} tokens, the model expects {model.Config.SequenceLength}.", nameof(data));
        if (options.BatchSize > model.MaxBatch)
            throw new ArgumentException($"BatchSize {options.BatchSize} exceeds the model's maximum batch {model.MaxBatch}.", nameof(options));
        this.model = model;
        this.data = data;
        Options = options;
        sampler = new BatchSampler(data.Train, options.BatchSize);
        if (sampler.TrainingBatchesPerEpoch < 1)
            throw new ArgumentException($"the training split ({data.Train.Count}) is smaller than one batch ({options.BatchSize}).", nameof(data));
        Optimizer = new AdamOptimizer(model.Accelerator, model.Parameters, new AdamOptions { LearningRate = options.LearningRate, WeightDecay = options.WeightDecay });
        gradientNorm = new GradientNorm(model.Accelerator, model.Parameters);
        batchTokens = new int[options.BatchSize * model.Config.SequenceLength];
        batchTargets = new int[options.BatchSize];
    }

    /// <summary>The settings.</summary>
    public TrainingOptions Options { get; }
    /// <summary>Adam and its state.</summary>
    public AdamOptimizer Optimizer { get; }
    /// <summary>Steps completed.</summary>
    public long Step => Optimizer.StepCount;

    /// <summary>One step: a batch, forward, backward, clip, Adam.</summary>
    /// <exception cref="TrainingDivergedException">The loss or the gradient norm is not finite; the step is not taken.</exception>
    public TrainStepResult TrainStep()
    {
        var stream = model.Accelerator.DefaultStream;
        NextBatch(Step);
        var result = model.Run(stream, batchTokens, batchTargets, Options.BatchSize, train: true);
        double norm = gradientNorm.Compute(stream);
        double lr = Options.Schedule.At(Step);
        if (!double.IsFinite(norm) || !double.IsFinite(result.Loss))
            throw new TrainingDivergedException(Step + 1, result.Loss, norm);
        double scale = GradientNorm.ClipScale(norm, Options.ClipNorm);
        Optimizer.Step(stream, (float)lr, (float)scale);
        return new TrainStepResult(Step, result.Loss, (double)result.Correct / result.Count, lr, norm);
    }

    /// <summary>Loss and accuracy over every example of <paramref name="split"/>, in order.</summary>
    public EvaluationResult Evaluate(RetrievalSplit split) => Evaluate(model, split, Options.BatchSize);

    /// <summary>Loss and accuracy of <paramref name="model"/> over <paramref name="split"/> in batches of up to <paramref name="batchSize"/>.</summary>
    public static EvaluationResult Evaluate(RetrievalModel model, RetrievalSplit split, int batchSize)
    {
        batchSize = Math.Min(batchSize, model.MaxBatch);
        var sampler = new BatchSampler(split, batchSize);
        var tokens = new int[sampler.TokensPerBatch];
        var targets = new int[batchSize];
        double loss = 0;
        long correct = 0;
        for (int b = 0; b < sampler.EvaluationBatchCount; b++)
        {
            int n = sampler.EvaluationBatch(b, tokens, targets);
            var r = model.Run(model.Accelerator.DefaultStream, tokens, targets, n, train: false);
            loss += r.Loss * n;
            correct += r.Correct;
        }
        return new EvaluationResult(loss / split.Count, (double)correct / split.Count, split.Count);
    }

    /// <summary>Writes model, optimizer state and run metadata to <paramref name="directory"/>.</summary>
    public void Save(string directory, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        var metadata = model.Config.ToMetadata();
        metadata["train.seed"] = Options.Seed.ToString(CultureInfo.InvariantCulture);
        metadata["train.step"] = Step.ToString(CultureInfo.InvariantCulture);
        metadata["train.batch_size"] = Options.BatchSize.ToString(CultureInfo.InvariantCulture);
        metadata["train.lr"] = Options.LearningRate.ToString("R", CultureInfo.InvariantCulture);
        metadata["train.warmup"] = Options.WarmupSteps.ToString(CultureInfo.InvariantCulture);
        metadata["train.lr_decay"] = Options.Decay.ToString().ToLowerInvariant();
        metadata["train.final_lr_fraction"] = Options.FinalFraction.ToString("R", CultureInfo.InvariantCulture);
        metadata["train.decay_steps"] = Options.DecaySteps.ToString(CultureInfo.InvariantCulture);
        metadata["train.clip"] = Options.ClipNorm.ToString("R", CultureInfo.InvariantCulture);
        metadata["train.weight_decay"] = Options.WeightDecay.ToString("R", CultureInfo.InvariantCulture);
        metadata["data.pairs"] = data.Pairs.ToString(CultureInfo.InvariantCulture);
        metadata["data.seed"] = data.Seed.ToString(CultureInfo.InvariantCulture);
        metadata["data.train_size"] = data.Train.Count.ToString(CultureInfo.InvariantCulture);
        metadata["data.validation_size"] = data.Validation.Count.ToString(CultureInfo.InvariantCulture);
        metadata["data.test_size"] = data.Test.Count.ToString(CultureInfo.InvariantCulture);
        if (extraMetadata is not null)
            foreach (var (k, v) in extraMetadata) metadata[k] = v;
        Checkpoint.Save(directory, model, metadata, Optimizer);
    }

    /// <summary>
    /// Loads model and optimizer state saved by <see cref="Save"/> (both checked completely before either is changed);
    /// the next step continues the run.
    /// </summary>
    /// <exception cref="CheckpointException">A file is missing, corrupt, torn or does not match (nothing is loaded then).</exception>
    public void Resume(string directory) => Checkpoint.Load(directory, model, Optimizer);

    private void NextBatch(long step)
    {
        long perEpoch = sampler.TrainingBatchesPerEpoch;
        long epoch = step / perEpoch;
        long position = step % perEpoch;
        if (epoch != sampledEpoch || position == 0)
        {
            // Not HashCode.Combine: it is randomised per process, and the order must survive a restart.
            sampler.Shuffle(new Random(unchecked(Options.Seed * 1_000_003 + (int)epoch * 7_919 + 17)));
            for (long k = 0; k < position; k++) sampler.NextTrainingBatch(batchTokens, batchTargets);
            sampledEpoch = epoch;
        }
        if (!sampler.NextTrainingBatch(batchTokens, batchTargets))
            throw new InvalidOperationException("the sampler ran out of batches inside an epoch.");
    }

    /// <summary>Frees the optimizer state and the norm buffers (not the model).</summary>
    public void Dispose()
    {
        Optimizer.Dispose();
        gradientNorm.Dispose();
    }
}
