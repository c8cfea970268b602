using FastWeights.Model.Layers;
using FastWeights.Model.Ops;
using FastWeights.Model.Parameters;
using FastWeights.Model.Tasks.Retrieval;

namespace FastWeights.Model.Tasks.Language;

/// <summary>Summed loss and counts of one window batch.</summary>
/// <param name="LossSum">Σ of −ln p(target) over the scored positions, in nats.</param>
/// <param name="Correct">Scored positions whose most likely next character was the target.</param>
/// <param name="Count">Scored positions (targets other than <see cref="SequenceCrossEntropy.Ignored"/>).</param>
public readonly record struct WindowResult(double LossSum, long Correct, long Count)
{
    /// <summary>Mean loss in nats per scored position.</summary>
    public double MeanLoss => Count > 0 ? LossSum / Count : double.NaN;
}

/// <summary>
/// A character-level language model: tokens [B,T] → embedding [B,T,E] → L recurrent layers of one kind (any the factory
/// <see cref="RecurrentModules"/> builds that carries state, <see cref="IStatefulSequenceLayer"/>) → y [B,T,R] → dense
/// [B,T,V] logits → per-position softmax cross-entropy (<see cref="SequenceCrossEntropy"/>) against the next character.
/// Parameters, in order: embedding.weight, recurrent.* (encoder.* for the dpfp kinds), output.weight, output.bias.
/// </summary>
/// <remarks>
/// <para>The architecture is a <see cref="RetrievalModelConfig"/> (the factory's config) with
/// <see cref="RetrievalModelConfig.Vocabulary"/> = <see cref="RetrievalModelConfig.Classes"/> = V and
/// <see cref="RetrievalModelConfig.SequenceLength"/> = the window T; its DenseHidden is not used.</para>
/// <para>State: every <see cref="Run"/> starts from the caller's initial state and writes the final state (both
/// [<see cref="StateLength"/>(B)], zeros = empty), so windows of a long text follow one another exactly (truncated
/// backpropagation through time: the gradient stays inside the window, the state is a constant from the previous one).
/// The initial state must keep its values until the run returns; the final state must not overlap it.</para>
/// <para>Memory contract: <see cref="Run"/> with <c>train: true</c> overwrites every parameter gradient. Activations live in
/// buffers sized for (<see cref="MaxBatch"/>, T), allocated once.</para>
/// </remarks>
public sealed class CharLanguageModel : IModule, IDisposable
{
    private readonly Embedding embedding;
    private readonly IStatefulSequenceLayer recurrent;
    private readonly Dense output;
    private readonly SequenceCrossEntropy loss;
    private readonly ActivationBuffers buffers = new();
    private readonly ArrayView<int> tokens, targets, correct;
    private readonly ArrayView<float> embedded, states, logits, losses, dStates, dEmbedded;
    private readonly float[] hostLosses;
    private readonly int[] hostCorrect;

    /// <summary>Builds the model on <paramref name="accelerator"/> for up to <paramref name="maxBatch"/> sequences of up to T = config.SequenceLength.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A config field or the batch size is out of range.</exception>
    /// <exception cref="ArgumentException">The kind's layer does not carry state.</exception>
    public CharLanguageModel(Accelerator accelerator, RetrievalModelConfig config, int maxBatch)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (config.Classes != config.Vocabulary)
            throw new ArgumentOutOfRangeException(nameof(config), config.Classes, $"a language model predicts its own vocabulary: Classes must equal Vocabulary ({config.Vocabulary}).");
        if (maxBatch < 1) throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "maxBatch must be ≥ 1.");
        Accelerator = accelerator;
        Config = config;
        MaxBatch = maxBatch;
        int B = maxBatch, T = config.SequenceLength, E = config.Embedding, R = config.Hidden, V = config.Vocabulary;

        embedding = new Embedding(accelerator, "embedding", V, E);
        var layer = RecurrentModules.Create(accelerator, config.IsDpfp ? "encoder" : "recurrent", config.SequenceLayer, E, B, T);
        if (layer is not IStatefulSequenceLayer stateful || layer is RecurrentStack { IsStateful: false })
        {
            layer.Dispose();
            embedding.Dispose();
            throw new ArgumentException($"model {RetrievalModelConfig.KindName(config.Kind)}: its layer does not carry state between windows.", nameof(config));
        }
        recurrent = stateful;
        output = new Dense(accelerator, "output", R, V);
        loss = new SequenceCrossEntropy(accelerator, "loss", V);
        Parameters = [.. embedding.Parameters, .. recurrent.Parameters, .. output.Parameters];

        long N = (long)B * T;
        tokens = buffers.Int(Accelerator, N);
        targets = buffers.Int(Accelerator, N);
        correct = buffers.Int(Accelerator, N);
        embedded = buffers.Float(Accelerator, N * E);
        states = buffers.Float(Accelerator, N * R);
        logits = buffers.Float(Accelerator, N * V);
        losses = buffers.Float(Accelerator, N);
        dStates = buffers.Float(Accelerator, N * R);
        dEmbedded = buffers.Float(Accelerator, N * E);
        hostLosses = new float[N];
        hostCorrect = new int[N];
    }

    /// <summary>The device.</summary>
    public Accelerator Accelerator { get; }
    /// <summary>The architecture (V = Vocabulary, T = SequenceLength).</summary>
    public RetrievalModelConfig Config { get; }
    /// <summary>Largest batch.</summary>
    public int MaxBatch { get; }
    /// <summary>T, the longest window.</summary>
    public int Window => Config.SequenceLength;
    /// <summary>V.</summary>
    public int Vocabulary => Config.Vocabulary;
    /// <summary>All trainable parameters, in a fixed order.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }
    /// <summary>The recurrent layer (or stack).</summary>
    public IStatefulSequenceLayer Recurrent => recurrent;

    /// <summary>Floats of the recurrent state of <paramref name="batch"/> sequences.</summary>
    public long StateLength(int batch) => recurrent.StateLength(batch);

    /// <summary>The logits [n·time, V] of the last <see cref="Run"/> (overwritten by its backward when it trained).</summary>
    public ArrayView<float> Logits(int n, int time) => logits.SubView(0, (long)n * time * Vocabulary);

    /// <summary>Initial values, deterministic from <paramref name="seed"/>: the recurrent layer's own rule, uniform ±1 for the embedding, ±1/√R for the output layer.</summary>
    public void Initialize(int seed)
    {
        var rng = new Random(seed);
        Initializers.Uniform(embedding.Weight, 1.0, rng);
        recurrent.Initialize(rng);
        output.InitializeFanIn(rng);
    }

    /// <summary>
    /// One window batch: forward from <paramref name="initialState"/>, final state into <paramref name="finalState"/>, the
    /// loss summed over the scored positions; with <paramref name="train"/> also the backward of the mean loss over them
    /// (gradients overwritten; none cross into the initial state). Waits for the device (the losses are read back).
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="batchTokens">[n, time] input ids in [0, V).</param>
    /// <param name="batchTargets">[n, time] next-character ids in [0, V), or <see cref="SequenceCrossEntropy.Ignored"/>.</param>
    /// <param name="n">Batch size, 1..MaxBatch.</param>
    /// <param name="time">Window length, 1..T.</param>
    /// <param name="initialState">[<see cref="StateLength"/>(n)] on the device.</param>
    /// <param name="finalState">[<see cref="StateLength"/>(n)] on the device; overwritten.</param>
    /// <param name="train">Also compute gradients.</param>
    /// <exception cref="ArgumentException">Wrong lengths or ids out of range (the message names the array).</exception>
    /// <exception cref="ArgumentOutOfRangeException">n or time out of range.</exception>
    public WindowResult Run(AcceleratorStream stream, ReadOnlySpan<int> batchTokens, ReadOnlySpan<int> batchTargets, int n, int time,
        ArrayView<float> initialState, ArrayView<float> finalState, bool train)
    {
        int E = Config.Embedding, R = Config.Hidden, V = Config.Vocabulary;
        if (n < 1 || n > MaxBatch) throw new ArgumentOutOfRangeException(nameof(n), n, $"batch size must be in 1..{MaxBatch}.");
        if (time < 1 || time > Window) throw new ArgumentOutOfRangeException(nameof(time), time, $"time must be in 1..{Window}.");
        int count = n * time;
        if (batchTokens.Length < count) throw new ArgumentException($"batchTokens needs {count} ids, has {batchTokens.Length}.", nameof(batchTokens));
        if (batchTargets.Length < count) throw new ArgumentException($"batchTargets needs {count} ids, has {batchTargets.Length}.", nameof(batchTargets));
        foreach (int v in batchTokens[..count])
            if ((uint)v >= (uint)V) throw new ArgumentException($"token id {v} is outside [0, {V}).", nameof(batchTokens));
        int scored = 0;
        foreach (int v in batchTargets[..count])
        {
            if (v == SequenceCrossEntropy.Ignored) continue;
            if ((uint)v >= (uint)V) throw new ArgumentException($"target {v} is outside [0, {V}) and is not {SequenceCrossEntropy.Ignored} (ignored).", nameof(batchTargets));
            scored++;
        }

        var tokenView = tokens.SubView(0, count);
        var targetView = targets.SubView(0, count);
        tokenView.CopyFromCPU(stream, batchTokens[..count]);
        targetView.CopyFromCPU(stream, batchTargets[..count]);
        var emb = embedded.SubView(0, (long)count * E);
        var ys = states.SubView(0, (long)count * R);
        var logitView = logits.SubView(0, (long)count * V);
        embedding.Forward(stream, emb, tokenView, count);
        recurrent.Forward(stream, ys, finalState, emb, initialState, n, time);
        output.Forward(stream, logitView, ys, count);
        loss.Forward(stream, losses.SubView(0, count), correct.SubView(0, count), logitView, targetView, count);

        if (train)
        {
            // In place: the logits are not needed after the loss; with nothing scored the gradient is all zeros.
            loss.Backward(stream, logitView, logitView, targetView, count, scored > 0 ? 1f / scored : 0f);
            var dYs = dStates.SubView(0, (long)count * R);
            output.Backward(stream, dYs, logitView, ys, logitView, count);
            recurrent.Backward(stream, dEmbedded.SubView(0, (long)count * E), dYs, emb, n, time);
            embedding.Backward(stream, dEmbedded.SubView(0, (long)count * E), tokenView, count);
        }

        var (sum, right) = LossTotals.Read(stream, losses, correct, hostLosses, hostCorrect, count);
        return new WindowResult(sum, right, scored);
    }


    /// <summary>Frees everything.</summary>
    public void Dispose()
    {
        buffers.Dispose();
        embedding.Dispose();
        recurrent.Dispose();
        output.Dispose();
    }
}
