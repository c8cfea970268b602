using System.Globalization;
using FastWeights.Model.Ops;
using FastWeights.Model.Parameters;
using FastWeights.Model.Training;

namespace FastWeights.Model.Tasks.Language;

/// <summary>Bits per character and next-character accuracy over a whole text.</summary>
/// <param name="Loss">Mean cross-entropy in nats per predicted character.</param>
/// <param name="Accuracy">Fraction of characters that were the model's most likely next character.</param>
/// <param name="Count">Predicted characters (the text's length − 1).</param>
public readonly record struct TextEvaluation(double Loss, double Accuracy, long Count)
{
    /// <summary>Bits per character: the loss / ln 2.</summary>
    public double BitsPerCharacter => Loss / Math.Log(2);
}

/// <summary>
/// Trains a <see cref="CharLanguageModel"/> by truncated backpropagation through time. The training text is cut into B
/// contiguous streams of L = ⌊N/B⌋ characters; step s reads window w = s mod W (W = ⌊(L−1)/T⌋ windows per pass) of every
/// stream, T characters in and the T characters after each as targets, starting from the state the previous window left
/// (zeros at w = 0, the start of every pass). The gradient stays inside the window. What a step sees is a function of s
/// alone, and the carried state is part of the checkpoint (tensor <see cref="StateTensorName"/>), so a resumed run
/// continues exactly.
/// </summary>
public sealed class LanguageModelTrainer : IDisposable
{
    /// <summary>Name of the carried state in the checkpoint's model file.</summary>
    public const string StateTensorName = "state.carry";

    private readonly CharLanguageModel model;
    private readonly int[] text;
    private readonly GradientNorm gradientNorm;
    private readonly Parameter carry;                 // the state the next window starts from, [StateLength(B)]
    private readonly MemoryBuffer1D<float, Stride1D.Dense> finalState;
    private readonly int[] batchTokens, batchTargets;
    private readonly int streamLength;

    /// <summary>Builds the optimizer over the model's parameters and the state buffers.</summary>
    /// <exception cref="ArgumentException">The text is too short for B streams of one window, or the batch exceeds the model's.</exception>
    public LanguageModelTrainer(CharLanguageModel model, int[] trainingText, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(trainingText);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.BatchSize > model.MaxBatch)
            throw new ArgumentException($"BatchSize {options.BatchSize} exceeds the model's maximum batch {model.MaxBatch}.", nameof(options));
        int B = options.BatchSize, T = model.Window;
        streamLength = trainingText.Length / B;
        if (streamLength - 1 < T)
            throw new ArgumentException($"the training text ({trainingText.Length} characters) is too short for {B} streams of one window of {T} characters and its targets.", nameof(trainingText));
        this.model = model;
        text = trainingText;
        Options = options;
        WindowsPerPass = (streamLength - 1) / T;
        long stateLength = model.StateLength(B);
        if (stateLength > int.MaxValue) throw new ArgumentException($"the state of {B} sequences ({stateLength} floats) exceeds 2^31 − 1.", nameof(options));
        Optimizer = new AdamOptimizer(model.Accelerator, model.Parameters, new AdamOptions { LearningRate = options.LearningRate, WeightDecay = options.WeightDecay });
        gradientNorm = new GradientNorm(model.Accelerator, model.Parameters);
        carry = new Parameter(model.Accelerator, StateTensorName, (int)stateLength);
        finalState = model.Accelerator.Allocate1D<float>(stateLength);
        batchTokens = new int[B * T];
        batchTargets = new int[B * T];
        CheckpointModule = new Module([.. model.Parameters, carry]);
    }

    /// <summary>The settings.</summary>
    public TrainingOptions Options { get; }
    /// <summary>Adam and its state.</summary>
    public AdamOptimizer Optimizer { get; }
    /// <summary>Steps completed.</summary>
    public long Step => Optimizer.StepCount;
    /// <summary>W: windows per pass over the streams.</summary>
    public int WindowsPerPass { get; }
    /// <summary>Characters a step predicts: B·T.</summary>
    public long CharactersPerStep => (long)Options.BatchSize * model.Window;
    /// <summary>What a checkpoint holds: the model's parameters, then the carried state (<see cref="StateTensorName"/>).</summary>
    public IModule CheckpointModule { get; }

    private sealed class Module(IReadOnlyList<Parameter> parameters) : IModule
    {
        public IReadOnlyList<Parameter> Parameters { get; } = parameters;
    }

    /// <summary>One step: the next window of every stream, forward, backward, clip, Adam; the state moves on.</summary>
    /// <exception cref="TrainingDivergedException">The loss or the gradient norm is not finite; the step is not taken.</exception>
    public TrainStepResult TrainStep()
    {
        var stream = model.Accelerator.DefaultStream;
        int B = Options.BatchSize, T = model.Window;
        int window = (int)(Step % WindowsPerPass);
        if (window == 0) carry.Value.View.MemSetToZero(stream);
        for (int b = 0; b < B; b++)
        {
            int start = b * streamLength + window * T;
            text.AsSpan(start, T).CopyTo(batchTokens.AsSpan(b * T, T));
            text.AsSpan(start + 1, T).CopyTo(batchTargets.AsSpan(b * T, T));
        }
        var result = model.Run(stream, batchTokens, batchTargets, B, T, carry.Value.View, finalState.View, train: true);
        double norm = gradientNorm.Compute(stream);
        double lr = Options.Schedule.At(Step);
        if (!double.IsFinite(norm) || !double.IsFinite(result.LossSum))
            throw new TrainingDivergedException(Step + 1, result.MeanLoss, norm);
        double scale = GradientNorm.ClipScale(norm, Options.ClipNorm);
        Optimizer.Step(stream, (float)lr, (float)scale);
        finalState.View.CopyTo(stream, carry.Value.View);
        stream.Synchronize();
        return new TrainStepResult(Step, result.MeanLoss, (double)result.Correct / result.Count, lr, norm);
    }

    /// <summary>Loss and accuracy over <paramref name="split"/> (see <see cref="Evaluate(CharLanguageModel, int[], int)"/>).</summary>
    public TextEvaluation Evaluate(int[] split) => Evaluate(model, split, Options.BatchSize);

    /// <summary>
    /// Loss, bits per character and accuracy of <paramref name="model"/> over every next character of <paramref name="split"/>:
    /// the text is cut into up to <paramref name="batchSize"/> contiguous streams (the last ones padded with ignored
    /// positions), each read window after window with the state carried from the empty state at its start. Every
    /// character after the first is predicted exactly once.
    /// </summary>
    /// <exception cref="ArgumentException">The split has fewer than 2 characters.</exception>
    public static TextEvaluation Evaluate(CharLanguageModel model, int[] split, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(split);
        if (split.Length < 2) throw new ArgumentException("the text to evaluate needs ≥ 2 characters.", nameof(split));
        int predictions = split.Length - 1;
        int T = model.Window;
        int B = Math.Max(1, Math.Min(Math.Min(batchSize, model.MaxBatch), predictions / T));
        int length = (predictions + B - 1) / B;                 // predictions per stream; the last streams may run short
        var stream = model.Accelerator.DefaultStream;
        long stateLength = model.StateLength(B);
        using var current = model.Accelerator.Allocate1D<float>(stateLength);
        using var next = model.Accelerator.Allocate1D<float>(stateLength);
        current.MemSetToZero();
        var tokens = new int[B * T];
        var targets = new int[B * T];
        var a = current;
        var c = next;
        double loss = 0;
        long correct = 0, count = 0;
        for (int start = 0; start < length; start += T)
        {
            int time = Math.Min(T, length - start);
            for (int b = 0; b < B; b++)
                for (int t = 0; t < time; t++)
                {
                    long p = (long)b * length + start + t;        // predicts split[p + 1] from split[..p]
                    bool inside = p < predictions && start + t < length;
                    tokens[b * time + t] = inside ? split[p] : 0;
                    targets[b * time + t] = inside ? split[p + 1] : SequenceCrossEntropy.Ignored;
                }
            var r = model.Run(stream, tokens, targets, B, time, a.View, c.View, train: false);
            loss += r.LossSum;
            correct += r.Correct;
            count += r.Count;
            (a, c) = (c, a);
        }
        return new TextEvaluation(loss / count, (double)correct / count, count);
    }

    /// <summary>Writes model, carried state, optimizer state and <paramref name="metadata"/> (plus train.*) to <paramref name="directory"/>.</summary>
    public void Save(string directory, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var all = model.Config.ToMetadata();
        Options.AddMetadata(all, Step);
        all["lm.state_length"] = carry.Length.ToString(CultureInfo.InvariantCulture);
        foreach (var (k, v) in metadata) all[k] = v;
        Checkpoint.Save(directory, CheckpointModule, all, Optimizer);
    }

    /// <summary>Loads model, carried state and optimizer saved by <see cref="Save"/>; the next step continues the run exactly.</summary>
    /// <exception cref="CheckpointException">A file is missing, corrupt, torn or does not match (nothing is loaded then).</exception>
    public void Resume(string directory) => Checkpoint.Load(directory, CheckpointModule, Optimizer);

    /// <summary>Frees the optimizer state, the norm buffers and the state buffers (not the model).</summary>
    public void Dispose()
    {
        Optimizer.Dispose();
        gradientNorm.Dispose();
        carry.Dispose();
        finalState.Dispose();
    }
}
