using FastWeights.Model.Ops;

namespace FastWeights.Model.Tasks.Language;

/// <summary>
/// Streaming inference for an app that embeds a trained <see cref="CharLanguageModel"/>: feed token ids chunk by chunk,
/// of any lengths, and the recurrent state is carried from one chunk to the next, so the result is the same as feeding
/// everything at once (up to float32 rounding of the layers' step-by-step sums, which is the same either way). After a
/// feed, <see cref="NextLogits"/> holds the logits of the next token; <see cref="Sample"/> draws from them.
/// </summary>
/// <remarks>
/// One sequence (batch 1). Chunks longer than the model's window T run as several windows. The stream owns two state
/// buffers on the model's accelerator; the model's activation buffers are shared, so use one stream per model at a time.
/// </remarks>
public sealed class CharLanguageModelStream : IDisposable
{
    private readonly CharLanguageModel model;
    private MemoryBuffer1D<float, ILGPU.Stride1D.Dense> current, next;
    private readonly float[] lastLogits;
    private readonly int[] ignored;

    /// <summary>Starts an empty stream (zero state) over <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    public CharLanguageModelStream(CharLanguageModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        this.model = model;
        long length = model.StateLength(1);
        current = model.Accelerator.Allocate1D<float>(length);
        next = model.Accelerator.Allocate1D<float>(length);
        current.MemSetToZero();
        next.MemSetToZero();
        lastLogits = new float[model.Vocabulary];
        ignored = new int[model.Window];
        Array.Fill(ignored, SequenceCrossEntropy.Ignored);
    }

    /// <summary>Tokens fed since the start or the last <see cref="Reset"/>.</summary>
    public long Position { get; private set; }

    /// <summary>The logits [V] of the token after the last one fed (all zeros before any feed).</summary>
    public ReadOnlySpan<float> NextLogits => lastLogits;

    /// <summary>Back to the empty state.</summary>
    public void Reset()
    {
        current.MemSetToZero();
        Array.Clear(lastLogits);
        Position = 0;
    }

    /// <summary>
    /// Feeds <paramref name="chunk"/> (ids in [0, V)), carrying the state; optionally writes the logits of every position
    /// ([chunk.Length, V]: row k predicts the token after chunk[k]) into <paramref name="logits"/>.
    /// </summary>
    /// <param name="chunk">Token ids; may be empty (nothing happens).</param>
    /// <param name="logits">Empty, or at least chunk.Length·V floats.</param>
    /// <exception cref="ArgumentException">An id is out of range, or logits is too short (the message names it).</exception>
    public void Feed(ReadOnlySpan<int> chunk, Span<float> logits = default)
    {
        int V = model.Vocabulary, T = model.Window;
        if (!logits.IsEmpty && logits.Length < (long)chunk.Length * V)
            throw new ArgumentException($"logits needs {(long)chunk.Length * V} floats, has {logits.Length}.", nameof(logits));
        foreach (int v in chunk)
            if ((uint)v >= (uint)V) throw new ArgumentException($"token id {v} is outside [0, {V}).", nameof(chunk));
        var stream = model.Accelerator.DefaultStream;
        var hostLogits = new float[T * V];
        for (int start = 0; start < chunk.Length; start += T)
        {
            int time = Math.Min(T, chunk.Length - start);
            model.Run(stream, chunk.Slice(start, time), ignored, 1, time, current.View, next.View, train: false);
            model.Logits(1, time).CopyToCPU(stream, hostLogits.AsSpan(0, time * V));
            stream.Synchronize();
            (current, next) = (next, current);
            if (!logits.IsEmpty) hostLogits.AsSpan(0, time * V).CopyTo(logits.Slice(start * V));
            hostLogits.AsSpan((time - 1) * V, V).CopyTo(lastLogits);
            Position += time;
        }
    }

    /// <summary>
    /// Draws the next token from softmax(<see cref="NextLogits"/> / temperature) with <paramref name="rng"/>; temperature 0
    /// takes the most likely token (ties to the lowest id).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">temperature is negative or not finite.</exception>
    public int Sample(double temperature, Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (!(temperature >= 0 && double.IsFinite(temperature)))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be finite and ≥ 0.");
        int best = 0;
        for (int c = 1; c < lastLogits.Length; c++)
            if (lastLogits[c] > lastLogits[best]) best = c;
        if (temperature == 0) return best;
        var weights = new double[lastLogits.Length];
        double sum = 0;
        for (int c = 0; c < weights.Length; c++) sum += weights[c] = Math.Exp((lastLogits[c] - lastLogits[best]) / temperature);
        double u = rng.NextDouble() * sum;
        for (int c = 0; c < weights.Length; c++)
        {
            u -= weights[c];
            if (u < 0) return c;
        }
        return best;
    }

    /// <summary>Frees the state buffers (not the model).</summary>
    public void Dispose()
    {
        current.Dispose();
        next.Dispose();
    }
}
