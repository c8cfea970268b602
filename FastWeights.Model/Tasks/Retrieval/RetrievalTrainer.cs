using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FastWeights.Model.Distributed;
using FastWeights.Model.Training;

namespace FastWeights.Model.Tasks.Retrieval;

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
/// <remarks>
/// Data parallel over an <see cref="ICollective"/> of N ranks: <see cref="TrainingOptions.BatchSize"/> is the global
/// batch B; every rank draws the same global batch, runs rows [rank·B/N, (rank+1)·B/N) of it, and the gradients are
/// averaged over the ranks in rank order (<see cref="DataParallel"/>) before the norm, the clipping and Adam, so every
/// rank takes the same step. Loss and accuracy are those of the global batch. With one rank (the default) nothing of
/// this runs and training is exactly the single-process one.
/// </remarks>
public sealed class RetrievalTrainer : IDisposable
{
    private readonly RetrievalModel model;
    private readonly RetrievalSplits data;
    private readonly BatchSampler sampler;
    private readonly GradientNorm gradientNorm;
    private readonly DataParallel dataParallel;
    private readonly int localStart, localBatch;
    private readonly int[] batchTokens, batchTargets;
    private long sampledEpoch = -1;

    /// <summary>Builds the optimizer over the model's parameters.</summary>
    /// <exception cref="ArgumentException">The data's sequence length differs from the model's, or the batch exceeds the model's.</exception>
    public RetrievalTrainer(RetrievalModel model, RetrievalSplits data, TrainingOptions options)
        : this(model, data, options, SingleProcess.Instance)
    {
    }

    /// <summary>
    /// Builds the optimizer over the model's parameters, data parallel over <paramref name="collective"/>: a collective
    /// call that checks every rank was given the same run (seeds, batch, data, architecture; rank 0's
    /// values are broadcast and compared) and then makes every rank's parameters rank 0's.
    /// </summary>
    /// <param name="model">The model; with N ranks it needs <see cref="RetrievalModel.MaxBatch"/> ≥ B/N.</param>
    /// <param name="data">The splits, the same on every rank.</param>
    /// <param name="options">The settings; <see cref="TrainingOptions.BatchSize"/> is the global batch B, a multiple of N.</param>
    /// <param name="collective">The group (<see cref="SingleProcess.Instance"/> for one process).</param>
    /// <exception cref="ArgumentException">The data's sequence length differs from the model's, B is not a multiple of
    /// N, B/N exceeds the model's batch, or this rank's run differs from rank 0's.</exception>
    public RetrievalTrainer(RetrievalModel model, RetrievalSplits data, TrainingOptions options, ICollective collective)
    {
        ArgumentNullException.ThrowIfNull(collective);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (data.Train.SequenceLength != model.Config.SequenceLength)
            throw new ArgumentException($"the data has sequences of {data.Train.SequenceLength} tokens, the model expects {model.Config.SequenceLength}.", nameof(data));
        localBatch = DataParallel.LocalBatch(options.BatchSize, collective.Size);
        if (localBatch > model.MaxBatch)
            throw new ArgumentException(collective.Size == 1
                ? $"BatchSize {options.BatchSize} exceeds the model's maximum batch {model.MaxBatch}."
                : $"BatchSize {options.BatchSize} over {collective.Size} ranks gives {localBatch} per rank, more than the model's maximum batch {model.MaxBatch}.", nameof(options));
        this.model = model;
        this.data = data;
        Options = options;
        sampler = new BatchSampler(data.Train, options.BatchSize);
        if (sampler.TrainingBatchesPerEpoch < 1)
            throw new ArgumentException($"the training split ({data.Train.Count}) is smaller than one batch ({options.BatchSize}).", nameof(data));
        Optimizer = new AdamOptimizer(model.Accelerator, model.Parameters, new AdamOptions { LearningRate = options.LearningRate, WeightDecay = options.WeightDecay });
        gradientNorm = new GradientNorm(model.Accelerator, model.Parameters);
        Collective = collective;
        dataParallel = new DataParallel(collective, model.Parameters);
        localStart = collective.Rank * localBatch;
        if (collective.Size > 1)
        {
            RequireSameRunAsRoot(collective, model, data, options);
            dataParallel.BroadcastFromRoot(optimizer: null);
        }
        batchTokens = new int[options.BatchSize * model.Config.SequenceLength];
        batchTargets = new int[options.BatchSize];
    }

    /// <summary>The settings.</summary>
    public TrainingOptions Options { get; }
    /// <summary>Adam and its state.</summary>
    public AdamOptimizer Optimizer { get; }
    /// <summary>Steps completed.</summary>
    public long Step => Optimizer.StepCount;
    /// <summary>The group this trainer is one rank of.</summary>
    public ICollective Collective { get; }

    /// <summary>One step: a batch, forward, backward, clip, Adam.</summary>
    /// <exception cref="TrainingDivergedException">The loss or the gradient norm is not finite; the step is not taken.</exception>
    public TrainStepResult TrainStep()
    {
        var stream = model.Accelerator.DefaultStream;
        NextBatch(Step);
        int T = model.Config.SequenceLength;
        var result = model.Run(stream, batchTokens.AsSpan(localStart * T, localBatch * T), batchTargets.AsSpan(localStart, localBatch), localBatch, train: true);
        double loss = result.Loss, accuracy = (double)result.Correct / result.Count;
        if (Collective.Size > 1)
        {
            dataParallel.AverageGradients(stream);
            // The global batch's mean loss and accuracy: every rank gets the same numbers, so every rank decides alike.
            Span<double> sums = [result.Loss * result.Count, result.Correct];
            Collective.SumInRankOrder(sums);
            loss = sums[0] / Options.BatchSize;
            accuracy = sums[1] / Options.BatchSize;
        }
        double norm = gradientNorm.Compute(stream);
        double lr = Options.Schedule.At(Step);
        if (!double.IsFinite(norm) || !double.IsFinite(loss))
            throw new TrainingDivergedException(Step + 1, loss, norm);
        double scale = GradientNorm.ClipScale(norm, Options.ClipNorm);
        Optimizer.Step(stream, (float)lr, (float)scale);
        return new TrainStepResult(Step, loss, accuracy, lr, norm);
    }

    /// <summary>
    /// Loss and accuracy over every example of <paramref name="split"/>. With N ranks each evaluates every N-th batch
    /// (batches of B/N) and the sums are combined in rank order: every rank returns the same result.
    /// </summary>
    public EvaluationResult Evaluate(RetrievalSplit split)
    {
        if (Collective.Size == 1) return Evaluate(model, split, Options.BatchSize);
        ArgumentNullException.ThrowIfNull(split);
        var sampler = new BatchSampler(split, localBatch);
        var tokens = new int[sampler.TokensPerBatch];
        var targets = new int[localBatch];
        Span<double> sums = [0, 0];
        for (int b = Collective.Rank; b < sampler.EvaluationBatchCount; b += Collective.Size)
        {
            int n = sampler.EvaluationBatch(b, tokens, targets);
            var r = model.Run(model.Accelerator.DefaultStream, tokens, targets, n, train: false);
            sums[0] += r.Loss * n;
            sums[1] += r.Correct;
        }
        Collective.SumInRankOrder(sums);
        return new EvaluationResult(sums[0] / split.Count, sums[1] / split.Count, split.Count);
    }

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
        Options.AddMetadata(metadata, Step);
        metadata[RanksKey] = Collective.Size.ToString(CultureInfo.InvariantCulture);
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
    /// <remarks>With N ranks every rank loads (the run folder must be on a file system they share), then rank 0's state is
    /// broadcast, so that the ranks continue from the same bits.</remarks>
    public void Resume(string directory)
    {
        Checkpoint.Load(directory, model, Optimizer);
        dataParallel.BroadcastFromRoot(Optimizer);
    }

    /// <summary>Metadata key of the number of ranks a run trains with (absent in checkpoints from before data parallelism: 1).</summary>
    public const string RanksKey = "train.ranks";

    /// <summary>
    /// Broadcasts rank 0's seeds, batch, data sizes and a digest of the architecture, and refuses to go on when this
    /// rank's differ: every rank must draw the same batches from the same data for the same model.
    /// </summary>
    private static void RequireSameRunAsRoot(ICollective collective, RetrievalModel model, RetrievalSplits data, TrainingOptions options)
    {
        string architecture = string.Join(";", model.Config.ToMetadata().OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));
        long digest = BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(architecture)), 0);
        (string Name, long Value)[] mine =
        [
            ("the seed", options.Seed), ("the data seed", data.Seed), ("the batch", options.BatchSize), ("the pairs", data.Pairs),
            ("the training size", data.Train.Count), ("the validation size", data.Validation.Count), ("the test size", data.Test.Count),
            ("the architecture", digest),
        ];
        Span<long> root = mine.Select(m => m.Value).ToArray();
        collective.Broadcast(root);
        for (int k = 0; k < mine.Length; k++)
            if (root[k] != mine[k].Value)
                throw new ArgumentException($"rank {collective.Rank} was given {mine[k].Name} {mine[k].Value}, rank 0 {root[k]}: every rank must be started with the same options.", nameof(options));
    }

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
