using FastWeights.Kernels.Core;
using FastWeights.Model.Ops;
using FastWeights.Model.Parameters;

namespace FastWeights.Model.Layers;

/// <summary>
/// One pre-norm transformer block with a fast-weight memory instead of softmax attention (a "DPFP block" when the
/// feature map is DPFP): h = x + Attention(LN₁(x)), out = h + W₂ ReLU(W₁ LN₂(h) + b₁) + b₂, row by row over
/// [B,T,D]. Attention is <see cref="LinearFastWeightSequenceLayer"/>; the feed-forward is two <see cref="Dense"/> layers D → F → D.
/// </summary>
/// <remarks>
/// <para>Parameters, in order: <c>name.ln1.*</c>, <c>name.attn.*</c> (<see cref="LinearFastWeightSequenceLayer"/>),
/// <c>name.ln2.*</c>, <c>name.ff1.*</c>, <c>name.ff2.*</c>.</para>
/// <para>Memory contract: the block keeps the activations of its last forward; <see cref="Backward"/>
/// must follow the forward it differentiates (same x, batch, time) and overwrites every parameter gradient and dx.
/// The residual branches' gradients are summed with <see cref="Add"/> (dL/dh = dL/dout + the feed-forward path's,
/// dL/dx = dL/dh + the attention path's). Buffers are sized once for (maxBatch, maxTime).</para>
/// </remarks>
public sealed class DpfpBlock : IModule, IDisposable
{
    private readonly LayerNorm norm1, norm2;
    private readonly LinearFastWeightSequenceLayer attention;
    private readonly Dense feedForward1, feedForward2;
    private readonly Add add;
    private readonly ActivationBuffers buffers = new();
    private readonly ArrayView<float> normed1, stats1, attended, residual, normed2, stats2, hidden, projected;
    private readonly ArrayView<float> dHidden, dNormed, dResidual, dAttention;
    private ArrayView<float> lastW0, lastZ0; // the initial memory state of the last forward (empty: an empty memory)

    /// <summary>Builds the block and allocates its buffers for up to (maxBatch, maxTime).</summary>
    /// <param name="accelerator">Device.</param>
    /// <param name="name">Module name (parameter prefix).</param>
    /// <param name="attentionOptions">The attention's sizes and rules; its <see cref="LinearFastWeightSequenceOptions.Width"/> is the block's D.</param>
    /// <param name="feedForward">F ≥ 1, the feed-forward's hidden width.</param>
    /// <param name="maxBatch">Largest B ≥ 1.</param>
    /// <param name="maxTime">Largest T ≥ 1.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size or option is out of range (the exception names it).</exception>
    public DpfpBlock(Accelerator accelerator, string name, LinearFastWeightSequenceOptions attentionOptions, int feedForward, int maxBatch, int maxTime)
    {
        ViewChecks.LiveAccelerator(accelerator);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(attentionOptions);
        attentionOptions.Validate();
        ViewChecks.Positive(feedForward, nameof(feedForward));
        SequenceChecks.Limits(maxBatch, maxTime);
        int D = attentionOptions.Width;
        long N = (long)maxBatch * maxTime;
        ViewChecks.FitsInt(N * Math.Max(D, feedForward), nameof(maxTime), "maxBatch·maxTime·max(D, F)");
        Accelerator = accelerator;
        Name = name;
        Width = D;
        FeedForward = feedForward;
        MaxBatch = maxBatch;
        MaxTime = maxTime;
        norm1 = new LayerNorm(accelerator, name + ".ln1", D);
        attention = new LinearFastWeightSequenceLayer(accelerator, name + ".attn", attentionOptions, maxBatch, maxTime);
        norm2 = new LayerNorm(accelerator, name + ".ln2", D);
        feedForward1 = new Dense(accelerator, name + ".ff1", D, feedForward, DenseActivation.Relu);
        feedForward2 = new Dense(accelerator, name + ".ff2", feedForward, D);
        add = new Add(accelerator, name + ".add");
        Parameters = [.. norm1.Parameters, .. attention.Parameters, .. norm2.Parameters, .. feedForward1.Parameters, .. feedForward2.Parameters];

        normed1 = buffers.Float(Accelerator, N * D);
        stats1 = buffers.Float(Accelerator, 2 * N);
        attended = buffers.Float(Accelerator, N * D);
        residual = buffers.Float(Accelerator, N * D);
        normed2 = buffers.Float(Accelerator, N * D);
        stats2 = buffers.Float(Accelerator, 2 * N);
        hidden = buffers.Float(Accelerator, N * feedForward);
        projected = buffers.Float(Accelerator, N * D);
        dHidden = buffers.Float(Accelerator, N * feedForward);
        dNormed = buffers.Float(Accelerator, N * D);
        dResidual = buffers.Float(Accelerator, N * D);
        dAttention = buffers.Float(Accelerator, N * D);
    }

    /// <summary>The accelerator every view must live on.</summary>
    public Accelerator Accelerator { get; }
    /// <summary>The module name.</summary>
    public string Name { get; }
    /// <summary>D, the width of input and output.</summary>
    public int Width { get; }
    /// <summary>F, the feed-forward's hidden width.</summary>
    public int FeedForward { get; }
    /// <summary>Largest B.</summary>
    public int MaxBatch { get; }
    /// <summary>Largest T.</summary>
    public int MaxTime { get; }
    /// <summary>The attention module.</summary>
    public LinearFastWeightSequenceLayer Attention => attention;
    /// <summary>ln1, attention, ln2, ff1, ff2 parameters, in that order.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Layer norms at gain 1, shift 0; every dense weight and bias uniform ±1/√fan_in.</summary>
    /// <param name="rng">Source of the values.</param>
    public void Initialize(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        foreach (var norm in new[] { norm1, norm2 })
        {
            Initializers.UnitGainZeroShift(norm.Gain, norm.Bias);
        }
        attention.Initialize(rng);
        foreach (var dense in new[] { feedForward1, feedForward2 })
        {
            dense.InitializeFanIn(rng);
        }
    }

    /// <summary>output = h + FF(LN₂(h)) with h = x + Attention(LN₁(x)); keeps the activations for <see cref="Backward"/>.</summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="output">Out [B,T,D]. Overwritten. Must not overlap x.</param>
    /// <param name="x">In [B,T,D].</param>
    /// <param name="batch">1 ≤ B ≤ <see cref="MaxBatch"/>.</param>
    /// <param name="time">1 ≤ T ≤ <see cref="MaxTime"/>.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time is out of range.</exception>
    public void Forward(AcceleratorStream stream, ArrayView<float> output, ArrayView<float> x, int batch, int time) =>
        Forward(stream, output, default, x, default, batch, time);

    /// <summary>
    /// Floats of the memory state of <paramref name="batch"/> sequences: [W (B·heads·m·d') | z (B·heads·d'), normalised sum
    /// rule only].
    /// </summary>
    /// <param name="batch">B ≥ 1.</param>
    public long StateLength(int batch) => attention.StateLength(batch) + attention.NormalizerLength(batch);

    /// <summary>
    /// The forward from the memory state <paramref name="initialState"/> (empty: an empty memory), writing the final memory
    /// state to <paramref name="finalState"/> (empty: not wanted); the backward then holds the initial state constant, so
    /// its view must keep its values until <see cref="Backward"/> has run.
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="output">Out [B,T,D]. Overwritten. Must not overlap x.</param>
    /// <param name="finalState">Out [<see cref="StateLength"/>(B)], or empty. Overwritten.</param>
    /// <param name="x">In [B,T,D].</param>
    /// <param name="initialState">In [<see cref="StateLength"/>(B)], or empty.</param>
    /// <param name="batch">1 ≤ B ≤ <see cref="MaxBatch"/>.</param>
    /// <param name="time">1 ≤ T ≤ <see cref="MaxTime"/>.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time is out of range.</exception>
    public void Forward(AcceleratorStream stream, ArrayView<float> output, ArrayView<float> finalState, ArrayView<float> x,
        ArrayView<float> initialState, int batch, int time)
    {
        int n = CheckCall(stream, batch, time);
        long wLength = attention.StateLength(batch), zLength = attention.NormalizerLength(batch);
        bool hasInitial = ViewChecks.Optional(initialState, nameof(initialState), wLength + zLength, $"[{wLength}+{zLength}]", Accelerator);
        bool hasFinal = ViewChecks.Optional(finalState, nameof(finalState), wLength + zLength, $"[{wLength}+{zLength}]", Accelerator);
        ArrayView<float> Part(ArrayView<float> s, bool has, long offset, long length) => has && length > 0 ? s.SubView(offset, length) : default;
        lastW0 = Part(initialState, hasInitial, 0, wLength);
        lastZ0 = Part(initialState, hasInitial, wLength, zLength);
        var wT = Part(finalState, hasFinal, 0, wLength);
        var zT = Part(finalState, hasFinal, wLength, zLength);
        string shape = $"[B={batch},T={time},D={Width}]";
        ViewChecks.Required(output, nameof(output), (long)n * Width, shape, Accelerator);
        ViewChecks.Required(x, nameof(x), (long)n * Width, shape, Accelerator);
        long rows = (long)n * Width;
        norm1.Forward(stream, normed1.SubView(0, rows), stats1.SubView(0, 2L * n), x, n);
        attention.Forward(stream, attended.SubView(0, rows), wT, zT, normed1.SubView(0, rows), lastW0, lastZ0, batch, time);
        add.Forward(stream, residual.SubView(0, rows), x, attended.SubView(0, rows), rows);
        norm2.Forward(stream, normed2.SubView(0, rows), stats2.SubView(0, 2L * n), residual.SubView(0, rows), n);
        feedForward1.Forward(stream, hidden.SubView(0, (long)n * FeedForward), normed2.SubView(0, rows), n);
        feedForward2.Forward(stream, projected.SubView(0, rows), hidden.SubView(0, (long)n * FeedForward), n);
        add.Forward(stream, output, residual.SubView(0, rows), projected.SubView(0, rows), rows);
    }

    /// <summary>Parameter gradients (overwritten) and dx [B,T,D] (overwritten) from dL/d(output), for the last forward.</summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="dx">Out [B,T,D]. Overwritten. Must not overlap the inputs.</param>
    /// <param name="dOutput">In [B,T,D].</param>
    /// <param name="x">In [B,T,D]: the last forward's x.</param>
    /// <param name="batch">B of the last forward.</param>
    /// <param name="time">T of the last forward.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time is out of range.</exception>
    /// <exception cref="InvalidOperationException">The last forward had another (batch, time).</exception>
    public void Backward(AcceleratorStream stream, ArrayView<float> dx, ArrayView<float> dOutput, ArrayView<float> x, int batch, int time)
    {
        int n = CheckCall(stream, batch, time);
        string shape = $"[B={batch},T={time},D={Width}]";
        ViewChecks.Required(dx, nameof(dx), (long)n * Width, shape, Accelerator);
        ViewChecks.Required(dOutput, nameof(dOutput), (long)n * Width, shape, Accelerator);
        ViewChecks.Required(x, nameof(x), (long)n * Width, shape, Accelerator);
        long rows = (long)n * Width;
        var dH = dHidden.SubView(0, (long)n * FeedForward);
        var dN = dNormed.SubView(0, rows);
        var dR = dResidual.SubView(0, rows);
        var dA = dAttention.SubView(0, rows);
        feedForward2.Backward(stream, dH, dOutput, hidden.SubView(0, (long)n * FeedForward), projected.SubView(0, rows), n);
        feedForward1.Backward(stream, dN, dH, normed2.SubView(0, rows), hidden.SubView(0, (long)n * FeedForward), n);
        norm2.Backward(stream, dR, dN, residual.SubView(0, rows), stats2.SubView(0, 2L * n), n);
        add.Forward(stream, dR, dR, dOutput, rows);
        attention.Backward(stream, dA, default, default, dR, default, default, normed1.SubView(0, rows), lastW0, lastZ0, batch, time);
        norm1.Backward(stream, dx, dA, x, stats1.SubView(0, 2L * n), n);
        add.Forward(stream, dx, dx, dR, rows);
    }

    private int CheckCall(AcceleratorStream stream, int batch, int time) => SequenceChecks.Rows(stream, Accelerator, batch, time, MaxBatch, MaxTime);

    /// <summary>Frees the sub-modules and the activation buffers.</summary>
    public void Dispose()
    {
        buffers.Dispose();
        norm1.Dispose();
        norm2.Dispose();
        attention.Dispose();
        feedForward1.Dispose();
        feedForward2.Dispose();
    }
}
