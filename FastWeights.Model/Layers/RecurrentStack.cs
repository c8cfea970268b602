using FastWeights.Kernels.Core;
using FastWeights.Model.Parameters;

namespace FastWeights.Model.Layers;

/// <summary>
/// L recurrent layers in sequence: layer 0 reads x [B,T,I], layer l &gt; 0 reads layer l−1's output [B,T,H], the last
/// layer's output is y. Each layer keeps its own kernels, workspace and zero initial state; layer l's parameters are
/// named <c>name.l.*</c>, in layer order.
/// </summary>
/// <remarks>
/// Memory contract: the stack owns the L−1 intermediate outputs [B,T,H] (kept from the forward for the backward, since
/// layer l's backward reads its input again) and two [B,T,H] gradient buffers used alternately between layers.
/// <see cref="Backward"/> overwrites every parameter gradient and dx, like a single layer.
/// </remarks>
public sealed class RecurrentStack : IStatefulSequenceLayer
{
    private readonly ISequenceLayer[] layers;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>[] outputs;   // layer l's output, l < L−1
    private readonly MemoryBuffer1D<float, Stride1D.Dense>[] gradients; // two buffers, alternately dL/d(layer input)
    private readonly int hidden;

    /// <summary>Stacks <paramref name="count"/> layers made by <paramref name="create"/>(name, input width).</summary>
    /// <param name="accelerator">Device.</param>
    /// <param name="name">Module name; layer l is named <c>name.l</c>.</param>
    /// <param name="count">L ≥ 2.</param>
    /// <param name="input">I, the width of x.</param>
    /// <param name="hidden">H, every layer's output width.</param>
    /// <param name="maxBatch">Largest B.</param>
    /// <param name="maxTime">Largest T.</param>
    /// <param name="create">Builds one layer from its name and input width.</param>
    /// <exception cref="ArgumentOutOfRangeException">count &lt; 2, or a size &lt; 1.</exception>
    public RecurrentStack(Accelerator accelerator, string name, int count, int input, int hidden, int maxBatch, int maxTime,
        Func<string, int, ISequenceLayer> create)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentNullException.ThrowIfNull(create);
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), count, "A stack needs ≥ 2 layers (one layer is the layer itself).");
        if (hidden < 1) throw new ArgumentOutOfRangeException(nameof(hidden), hidden, "hidden must be ≥ 1.");
        if (maxBatch < 1) throw new ArgumentOutOfRangeException(nameof(maxBatch), maxBatch, "maxBatch must be ≥ 1.");
        if (maxTime < 1) throw new ArgumentOutOfRangeException(nameof(maxTime), maxTime, "maxTime must be ≥ 1.");
        this.hidden = hidden;
        layers = new ISequenceLayer[count];
        outputs = new MemoryBuffer1D<float, Stride1D.Dense>[count - 1];
        gradients = new MemoryBuffer1D<float, Stride1D.Dense>[2];
        try
        {
            for (int l = 0; l < count; l++)
                layers[l] = create($"{name}.{l}", l == 0 ? input : hidden);
            long size = (long)maxBatch * maxTime * hidden;
            for (int l = 0; l < count - 1; l++) outputs[l] = accelerator.Allocate1D<float>(size);
            for (int k = 0; k < 2; k++) gradients[k] = accelerator.Allocate1D<float>(size);
        }
        catch
        {
            Dispose();
            throw;
        }
        Parameters = layers.SelectMany(l => l.Parameters).ToList();
    }

    /// <summary>The layers, bottom first.</summary>
    public IReadOnlyList<ISequenceLayer> Layers => layers;

    /// <inheritdoc />
    public SweepSchedule Schedule => layers[0].Schedule;

    /// <summary>I, the first layer's input width.</summary>
    public int InputSize => layers[0].InputSize;

    /// <summary>H, the last layer's output width.</summary>
    public int OutputSize => layers[^1].OutputSize;

    /// <inheritdoc />
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <inheritdoc />
    public void Initialize(Random rng)
    {
        foreach (var layer in layers) layer.Initialize(rng);
    }

    /// <inheritdoc />
    public void Forward(AcceleratorStream stream, ArrayView<float> y, ArrayView<float> x, int batch, int time)
    {
        long size = (long)batch * time * hidden;
        CheckCapacity(size);
        var input = x;
        for (int l = 0; l < layers.Length; l++)
        {
            var output = l == layers.Length - 1 ? y : outputs[l].View.AsContiguous().SubView(0, size);
            layers[l].Forward(stream, output, input, batch, time);
            input = output;
        }
    }

    /// <summary>Whether every layer carries state (<see cref="IStatefulSequenceLayer"/>); the stateful forward needs it.</summary>
    public bool IsStateful => layers.All(l => l is IStatefulSequenceLayer);

    /// <summary>The layers' states one after another, bottom first.</summary>
    /// <exception cref="NotSupportedException">A layer does not carry state (<see cref="IsStateful"/> is false).</exception>
    public long StateLength(int batch) => Stateful().Sum(l => l.StateLength(batch));

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">A layer does not carry state (<see cref="IsStateful"/> is false).</exception>
    public void Forward(AcceleratorStream stream, ArrayView<float> y, ArrayView<float> finalState, ArrayView<float> x, ArrayView<float> initialState,
        int batch, int time)
    {
        var stateful = Stateful();
        long size = (long)batch * time * hidden;
        CheckCapacity(size);
        long total = StateLength(batch);
        Kernels.Core.ViewChecks.Required(initialState, nameof(initialState), total, $"[{total}]", layers[0].Parameters[0].Value.Accelerator);
        Kernels.Core.ViewChecks.Required(finalState, nameof(finalState), total, $"[{total}]", layers[0].Parameters[0].Value.Accelerator);
        var input = x;
        long offset = 0;
        for (int l = 0; l < layers.Length; l++)
        {
            long length = stateful[l].StateLength(batch);
            var output = l == layers.Length - 1 ? y : outputs[l].View.AsContiguous().SubView(0, size);
            stateful[l].Forward(stream, output, finalState.SubView(offset, length), input, initialState.SubView(offset, length), batch, time);
            input = output;
            offset += length;
        }
    }

    private IStatefulSequenceLayer[] Stateful() => IsStateful
        ? layers.Cast<IStatefulSequenceLayer>().ToArray()
        : throw new NotSupportedException($"a layer of this stack ({layers.First(l => l is not IStatefulSequenceLayer).GetType().Name}) does not carry state.");

    /// <inheritdoc />
    public void Backward(AcceleratorStream stream, ArrayView<float> dx, ArrayView<float> dy, ArrayView<float> x, int batch, int time)
    {
        long size = (long)batch * time * hidden;
        CheckCapacity(size);
        var upstream = dy;
        for (int l = layers.Length - 1; l >= 0; l--)
        {
            var input = l == 0 ? x : outputs[l - 1].View.AsContiguous().SubView(0, size);
            var dInput = l == 0 ? dx : gradients[l % 2].View.AsContiguous().SubView(0, size);
            layers[l].Backward(stream, dInput, upstream, input, batch, time);
            upstream = dInput;
        }
    }

    private void CheckCapacity(long size)
    {
        if (size > gradients[0].Length)
            throw new ArgumentOutOfRangeException("batch", $"B·T·H = {size} exceeds the stack's buffers ({gradients[0].Length}).");
    }

    /// <summary>Frees the layers and the stack's buffers.</summary>
    public void Dispose()
    {
        foreach (var layer in layers) layer?.Dispose();
        foreach (var b in outputs) b?.Dispose();
        foreach (var b in gradients) b?.Dispose();
    }
}
