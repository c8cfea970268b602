using FastWeights.Kernels.Core;
using FastWeights.Model.Ops;
using FastWeights.Model.Parameters;

namespace FastWeights.Model.Layers;

/// <summary>
/// The sequence layer of the dpfp-delta and dpfp-sum models: a token shift [x_t ; x_{t−1}] ([B,T,I] → [B,T,2I]), an
/// input projection 2I → D (<c>name.in.*</c>), then one <see cref="DpfpBlock"/> of width D (<c>name.block.*</c>).
/// </summary>
/// <remarks>
/// <para>Why the shift: the fast-weight memory has no positional information, so a write v(u_t) φ(k(u_t))ᵀ sees one
/// step; without the previous token in u_t, no key can name the letter whose digit it stores (docs/model.md). With it,
/// the step that reads a digit also sees the letter before it, so one write can bind the two.</para>
/// <para>Memory contract: keeps the activations of its last forward; <see cref="Backward"/> must follow
/// it and overwrites every parameter gradient and dx.</para>
/// </remarks>
public sealed class DpfpEncoder : IStatefulSequenceLayer
{
    private readonly TokenShift shift;
    private readonly Dense input;
    private readonly DpfpBlock block;
    private readonly ActivationBuffers buffers = new();
    private readonly ArrayView<float> shifted, projected, dShifted, dProjected;

    /// <summary>Builds the layer for up to (maxBatch, maxTime).</summary>
    /// <param name="accelerator">Device.</param>
    /// <param name="name">Module name (parameter prefix).</param>
    /// <param name="inputSize">I ≥ 1, the width of x.</param>
    /// <param name="attention">The block's attention options; its Width is D, the output width.</param>
    /// <param name="feedForward">F ≥ 1, the block's feed-forward width.</param>
    /// <param name="maxBatch">Largest B ≥ 1.</param>
    /// <param name="maxTime">Largest T ≥ 1.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size or option is out of range (the exception names it).</exception>
    public DpfpEncoder(Accelerator accelerator, string name, int inputSize, LinearFastWeightSequenceOptions attention, int feedForward, int maxBatch, int maxTime)
    {
        ViewChecks.LiveAccelerator(accelerator);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(attention);
        ViewChecks.Positive(inputSize, nameof(inputSize));
        SequenceChecks.Limits(maxBatch, maxTime);
        long N = (long)maxBatch * maxTime;
        // Checked before anything is allocated, so a rejected size leaks nothing.
        ViewChecks.FitsInt(2 * N * inputSize, nameof(maxTime), "maxBatch·maxTime·2I");
        Accelerator = accelerator;
        InputSize = inputSize;
        OutputSize = attention.Width;
        MaxBatch = maxBatch;
        MaxTime = maxTime;
        block = new DpfpBlock(accelerator, name + ".block", attention, feedForward, maxBatch, maxTime);
        shift = new TokenShift(accelerator, name + ".shift");
        input = new Dense(accelerator, name + ".in", 2 * inputSize, attention.Width);
        Parameters = [.. input.Parameters, .. block.Parameters];
        shifted = buffers.Float(Accelerator, 2 * N * inputSize);
        dShifted = buffers.Float(Accelerator, 2 * N * inputSize);
        projected = buffers.Float(Accelerator, N * OutputSize);
        dProjected = buffers.Float(Accelerator, N * OutputSize);
    }

    /// <summary>The accelerator every view must live on.</summary>
    public Accelerator Accelerator { get; }
    /// <inheritdoc/>
    public int InputSize { get; }
    /// <inheritdoc/>
    public int OutputSize { get; }
    /// <summary>Largest B.</summary>
    public int MaxBatch { get; }
    /// <summary>Largest T.</summary>
    public int MaxTime { get; }
    /// <summary>The block.</summary>
    public DpfpBlock Block => block;
    /// <inheritdoc/>
    public SweepSchedule Schedule => block.Attention.Memory.Schedule;
    /// <summary>The input projection's parameters, then the block's.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc/>
    public void Initialize(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        input.InitializeFanIn(rng);
        block.Initialize(rng);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time is out of range.</exception>
    public void Forward(AcceleratorStream stream, ArrayView<float> y, ArrayView<float> x, int batch, int time)
    {
        ViewChecks.Stream(stream, Accelerator);
        var (s, p, _, _) = Slices(batch, time);
        string rows = $"[B={batch},T={time}";
        ViewChecks.Required(y, nameof(y), (long)batch * time * OutputSize, rows + $",O={OutputSize}]", Accelerator);
        ViewChecks.Required(x, nameof(x), (long)batch * time * InputSize, rows + $",I={InputSize}]", Accelerator);
        shift.Forward(stream, s, x, batch, time, InputSize);
        input.Forward(stream, p, s, batch * time);
        block.Forward(stream, y, p, batch, time);
    }

    /// <summary>
    /// The state is [x of the previous step (B·I) | the block's memory state (<see cref="DpfpBlock.StateLength"/>)]: the
    /// token shift's x_{t−1} at t = 0 comes from the previous window instead of zeros, and the memory continues.
    /// </summary>
    public long StateLength(int batch) => (long)batch * InputSize + block.StateLength(batch);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time is out of range.</exception>
    public void Forward(AcceleratorStream stream, ArrayView<float> y, ArrayView<float> finalState, ArrayView<float> x, ArrayView<float> initialState,
        int batch, int time)
    {
        ViewChecks.Stream(stream, Accelerator);
        var (s, p, _, _) = Slices(batch, time);
        string rows = $"[B={batch},T={time}";
        ViewChecks.Required(y, nameof(y), (long)batch * time * OutputSize, rows + $",O={OutputSize}]", Accelerator);
        ViewChecks.Required(x, nameof(x), (long)batch * time * InputSize, rows + $",I={InputSize}]", Accelerator);
        ViewChecks.Required(initialState, nameof(initialState), StateLength(batch), $"[{StateLength(batch)}]", Accelerator);
        ViewChecks.Required(finalState, nameof(finalState), StateLength(batch), $"[{StateLength(batch)}]", Accelerator);
        long previous = (long)batch * InputSize;
        shift.Forward(stream, s, x, batch, time, InputSize);
        // The shift wrote zeros for x[b,−1,:]; the carried x of the previous window's last step replaces them, and this
        // window's last step is handed on. B small copies each way: the rows are strided in [B,T,·].
        for (int b = 0; b < batch; b++)
        {
            initialState.SubView((long)b * InputSize, InputSize).CopyTo(stream, s.SubView((long)b * time * 2 * InputSize + InputSize, InputSize));
            x.SubView(((long)b * time + time - 1) * InputSize, InputSize).CopyTo(stream, finalState.SubView((long)b * InputSize, InputSize));
        }
        input.Forward(stream, p, s, batch * time);
        block.Forward(stream, y, finalState.SubView(previous, block.StateLength(batch)), p,
            initialState.SubView(previous, block.StateLength(batch)), batch, time);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time is out of range.</exception>
    public void Backward(AcceleratorStream stream, ArrayView<float> dx, ArrayView<float> dy, ArrayView<float> x, int batch, int time)
    {
        ViewChecks.Stream(stream, Accelerator);
        var (s, p, ds, dp) = Slices(batch, time);
        ViewChecks.Optional(dx, nameof(dx), (long)batch * time * InputSize, $"[B={batch},T={time},I={InputSize}]", Accelerator);
        ViewChecks.Required(x, nameof(x), (long)batch * time * InputSize, $"[B={batch},T={time},I={InputSize}]", Accelerator);
        ViewChecks.Required(dy, nameof(dy), (long)batch * time * OutputSize, $"[B={batch},T={time},O={OutputSize}]", Accelerator);
        block.Backward(stream, dp, dy, p, batch, time);
        if (!dx.IsValid)
        {
            input.Backward(stream, default, dp, s, p, batch * time);
            return;
        }
        input.Backward(stream, ds, dp, s, p, batch * time);
        shift.Backward(stream, dx, ds, batch, time, InputSize);
    }

    private (ArrayView<float> Shifted, ArrayView<float> Projected, ArrayView<float> DShifted, ArrayView<float> DProjected) Slices(int batch, int time)
    {
        long n = SequenceChecks.Rows(batch, time, MaxBatch, MaxTime);
        return (shifted.SubView(0, 2 * n * InputSize), projected.SubView(0, n * OutputSize),
            dShifted.SubView(0, 2 * n * InputSize), dProjected.SubView(0, n * OutputSize));
    }

    /// <summary>Frees the block, the projection and the buffers.</summary>
    public void Dispose()
    {
        buffers.Dispose();
        block.Dispose();
        input.Dispose();
    }
}
