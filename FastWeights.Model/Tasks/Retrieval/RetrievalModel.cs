using FastWeights.Model.Layers;
using FastWeights.Model.Ops;
using FastWeights.Model.Parameters;

namespace FastWeights.Model.Tasks.Retrieval;

/// <summary>Mean loss and number of correct predictions of one batch.</summary>
/// <param name="Loss">Mean cross-entropy over the batch.</param>
/// <param name="Correct">How many predictions were right.</param>
/// <param name="Count">Batch size.</param>
public readonly record struct BatchResult(double Loss, int Correct, int Count);

/// <summary>
/// The associative-retrieval model: tokens [B,T] → embedding [B,T,E] → recurrent layer (or, for the dpfp kinds, token
/// shift + projection + DPFP block) → y [B,T,R] →
/// last step [B,R] → dense ReLU [B,D] → dense [B,10] → softmax cross-entropy against the target digit.
/// Parameters, in order: embedding.weight, recurrent.* (encoder.* for the dpfp kinds), hidden.weight/bias, output.weight/bias.
/// </summary>
/// <remarks>
/// Memory contract: <see cref="Run"/> with <c>train: true</c> overwrites every parameter gradient
/// (no accumulation across calls). Activations live in buffers sized for <see cref="MaxBatch"/>, allocated once.
/// </remarks>
public sealed class RetrievalModel : IModule, IDisposable
{
    private readonly Embedding embedding;
    private readonly ISequenceLayer recurrent;
    private readonly LastStep lastStep;
    private readonly Dense hidden, output;
    private readonly SoftmaxCrossEntropy loss;
    private readonly ActivationBuffers buffers = new();
    private readonly ArrayView<int> tokens, targets, correct;
    private readonly ArrayView<float> embedded, states, last, dense, logits, probabilities, losses;
    private readonly ArrayView<float> dDense, dLast, dStates, dEmbedded;
    private readonly float[] hostLosses;
    private readonly int[] hostCorrect;

    /// <summary>Builds the model on <paramref name="accelerator"/> for batches of up to <paramref name="maxBatch"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A config field or the batch size is out of range.</exception>
    public RetrievalModel(Accelerator accelerator, RetrievalModelConfig config, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (maxBatch < 1) throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "maxBatch must be ≥ 1.");
        Accelerator = accelerator;
        Config = config;
        MaxBatch = maxBatch;
        int B = maxBatch, T = config.SequenceLength, E = config.Embedding, R = config.Hidden, D = config.DenseHidden, K = config.Classes;

        embedding = new Embedding(accelerator, "embedding", config.Vocabulary, E);
        // The DPFP encoder's parameters are named encoder.* (it is not recurrent), the others recurrent.*.
        recurrent = RecurrentModules.Create(accelerator, config.IsDpfp ? "encoder" : "recurrent", config.SequenceLayer, E, B, T);
        lastStep = new LastStep(accelerator, "last");
        hidden = new Dense(accelerator, "hidden", R, D, DenseActivation.Relu);
        output = new Dense(accelerator, "output", D, K);
        loss = new SoftmaxCrossEntropy(accelerator, "loss", K);
        Parameters = [.. embedding.Parameters, .. recurrent.Parameters, .. hidden.Parameters, .. output.Parameters];

        tokens = buffers.Int(Accelerator, (long)B * T);
        targets = buffers.Int(Accelerator, B);
        correct = buffers.Int(Accelerator, B);
        embedded = buffers.Float(Accelerator, (long)B * T * E);
        states = buffers.Float(Accelerator, (long)B * T * R);
        last = buffers.Float(Accelerator, (long)B * R);
        dense = buffers.Float(Accelerator, (long)B * D);
        logits = buffers.Float(Accelerator, (long)B * K);
        probabilities = buffers.Float(Accelerator, (long)B * K);
        losses = buffers.Float(Accelerator, B);
        dDense = buffers.Float(Accelerator, (long)B * D);
        dLast = buffers.Float(Accelerator, (long)B * R);
        dStates = buffers.Float(Accelerator, (long)B * T * R);
        dEmbedded = buffers.Float(Accelerator, (long)B * T * E);
        hostLosses = new float[B];
        hostCorrect = new int[B];
    }

    /// <summary>The device.</summary>
    public Accelerator Accelerator { get; }
    /// <summary>The architecture.</summary>
    public RetrievalModelConfig Config { get; }
    /// <summary>Largest batch.</summary>
    public int MaxBatch { get; }
    /// <summary>All trainable parameters, in a fixed order.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }
    /// <summary>The sequence layer: its concrete type depends on <see cref="RetrievalModelConfig.Kind"/> and <see cref="RetrievalModelConfig.Layers"/>.</summary>
    public ISequenceLayer Recurrent => recurrent;

    /// <summary>Initial values, deterministic from <paramref name="seed"/>: the recurrent layer's own rule (e.g. W = 0.05·I for the fast-weight kinds), uniform ±1/√fan_in elsewhere.</summary>
    public void Initialize(int seed)
    {
        var rng = new Random(seed);
        Initializers.Uniform(embedding.Weight, 1.0, rng);
        recurrent.Initialize(rng);
        hidden.InitializeFanIn(rng);
        output.InitializeFanIn(rng);
    }

    /// <summary>
    /// Runs one batch: forward, loss and accuracy; with <paramref name="train"/>, also the backward (gradients overwritten).
    /// Waits for the device (the loss is read back).
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="batchTokens">[n, T] token ids in [0, Vocabulary).</param>
    /// <param name="batchTargets">[n] classes in [0, Classes).</param>
    /// <param name="n">Batch size, 1..MaxBatch.</param>
    /// <param name="train">Also compute gradients.</param>
    /// <exception cref="ArgumentException">Wrong lengths or ids out of range (the message names the array).</exception>
    public BatchResult Run(AcceleratorStream stream, ReadOnlySpan<int> batchTokens, ReadOnlySpan<int> batchTargets, int n, bool train)
    {
        int T = Config.SequenceLength, E = Config.Embedding, R = Config.Hidden, D = Config.DenseHidden, K = Config.Classes;
        if (n < 1 || n > MaxBatch) throw new ArgumentOutOfRangeException(nameof(n), n, $"batch size must be in 1..{MaxBatch}.");
        if (batchTokens.Length < n * T) throw new ArgumentException($"batchTokens needs {n * T} ids, has {batchTokens.Length}.", nameof(batchTokens));
        if (batchTargets.Length < n) throw new ArgumentException($"batchTargets needs {n} classes, has {batchTargets.Length}.", nameof(batchTargets));
        foreach (int v in batchTokens[..(n * T)])
            if ((uint)v >= (uint)Config.Vocabulary) throw new ArgumentException($"token id {v} is outside [0, {Config.Vocabulary}).", nameof(batchTokens));
        foreach (int v in batchTargets[..n])
            if ((uint)v >= (uint)K) throw new ArgumentException($"target {v} is outside [0, {K}).", nameof(batchTargets));

        tokens.SubView(0, (long)n * T).CopyFromCPU(stream, batchTokens[..(n * T)]);
        targets.SubView(0, n).CopyFromCPU(stream, batchTargets[..n]);

        var emb = embedded.SubView(0, (long)n * T * E);
        var ys = states.SubView(0, (long)n * T * R);
        var lastView = last.SubView(0, (long)n * R);
        var denseView = dense.SubView(0, (long)n * D);
        var logitView = logits.SubView(0, (long)n * K);
        var probView = probabilities.SubView(0, (long)n * K);
        embedding.Forward(stream, emb, tokens.SubView(0, (long)n * T), n * T);
        recurrent.Forward(stream, ys, emb, n, T);
        lastStep.Forward(stream, lastView, ys, n, T, R);
        hidden.Forward(stream, denseView, lastView, n);
        output.Forward(stream, logitView, denseView, n);
        loss.Forward(stream, losses.SubView(0, n), probView, correct.SubView(0, n), logitView, targets.SubView(0, n), n);

        if (train)
        {
            var dLogits = probView; // in place: the probabilities are not needed after this
            loss.Backward(stream, dLogits, probView, targets.SubView(0, n), n, 1f / n);
            output.Backward(stream, dDense.SubView(0, (long)n * D), dLogits, denseView, logitView, n);
            hidden.Backward(stream, dLast.SubView(0, (long)n * R), dDense.SubView(0, (long)n * D), lastView, denseView, n);
            lastStep.Backward(stream, dStates.SubView(0, (long)n * T * R), dLast.SubView(0, (long)n * R), n, T, R);
            recurrent.Backward(stream, dEmbedded.SubView(0, (long)n * T * E), dStates.SubView(0, (long)n * T * R), emb, n, T);
            embedding.Backward(stream, dEmbedded.SubView(0, (long)n * T * E), tokens.SubView(0, (long)n * T), n * T);
        }

        var (sum, right) = LossTotals.Read(stream, losses, correct, hostLosses, hostCorrect, n);
        return new BatchResult(sum / n, (int)right, n);
    }

    /// <summary>The predicted class (argmax of the probabilities, ties to the lowest) for each of <paramref name="n"/> sequences.</summary>
    /// <exception cref="ArgumentException">Wrong lengths or ids out of range.</exception>
    public int[] Predict(AcceleratorStream stream, ReadOnlySpan<int> batchTokens, int n)
    {
        var dummyTargets = new int[n];
        Run(stream, batchTokens, dummyTargets, n, train: false);
        int K = Config.Classes;
        var probs = new float[n * K];
        probabilities.SubView(0, (long)n * K).CopyToCPU(stream, probs);
        stream.Synchronize();
        var predictions = new int[n];
        for (int i = 0; i < n; i++)
        {
            int best = 0;
            for (int k = 1; k < K; k++)
                if (probs[i * K + k] > probs[i * K + best]) best = k;
            predictions[i] = best;
        }
        return predictions;
    }


    /// <summary>Frees everything.</summary>
    public void Dispose()
    {
        buffers.Dispose();
        embedding.Dispose();
        recurrent.Dispose();
        hidden.Dispose();
        output.Dispose();
    }
}
