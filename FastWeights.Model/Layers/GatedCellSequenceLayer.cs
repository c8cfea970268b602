using FastWeights.Kernels.Core;
using FastWeights.Kernels.GatedCells;
using FastWeights.Model.Parameters;

namespace FastWeights.Model.Layers;

/// <summary>
/// What the model layers of the layer-normalised gated cells (<see cref="LstmSequenceLayer"/>,
/// <see cref="GruSequenceLayer"/>) share: the kernels, a workspace, W_h [GH,H] and W_x [GH,I] (name.W_h, name.W_x; G gate
/// blocks), zero initial state or a carried one (<see cref="IStatefulSequenceLayer"/>: the cell's H-vectors one after
/// another), and disposal. The cell adds its other parameters, their start and its kernels' calls.
/// </summary>
/// <typeparam name="TLayer">The cell's kernels.</typeparam>
/// <typeparam name="TOptions">The cell's options.</typeparam>
/// <typeparam name="TWorkspace">The cell's workspace.</typeparam>
public abstract class GatedCellSequenceLayer<TLayer, TOptions, TWorkspace> : IStatefulSequenceLayer
    where TLayer : GatedCellLayer<TOptions, TWorkspace>
    where TOptions : RecurrentCellOptions
    where TWorkspace : GatedCellWorkspace
{
    private readonly TWorkspace workspace;
    private readonly int stateVectors;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> finalState;   // [S·B·H] where a plain forward leaves the final state

    /// <summary>
    /// Creates the parameters (name.W_h, name.W_x, then the cell's vectors, in that order), the workspace and the buffer
    /// of the final state of a plain forward.
    /// </summary>
    /// <param name="accelerator">Device.</param>
    /// <param name="layer">The cell's kernels, built for (input, hidden).</param>
    /// <param name="name">Module name (parameter prefix).</param>
    /// <param name="gates">G.</param>
    /// <param name="stateVectors">S: H-vectors per sequence in the state (h; or h, c).</param>
    /// <param name="maxBatch">Largest B.</param>
    /// <param name="maxTime">Largest T.</param>
    /// <param name="vectors">The cell's other parameters, all vectors: name suffix and length, in its parameter record's order.</param>
    private protected GatedCellSequenceLayer(Accelerator accelerator, TLayer layer, string name, int gates, int stateVectors,
        int maxBatch, int maxTime, params (string Suffix, int Length)[] vectors)
    {
        Kernels = layer;
        this.stateVectors = stateVectors;
        int H = layer.Options.HiddenSize, G = gates * H;
        Parameter New(string suffix, params int[] shape) => new(accelerator, name + "." + suffix, shape);
        WH = New("W_h", G, H);
        WX = New("W_x", G, layer.Options.InputSize);
        Parameters = [WH, WX, .. vectors.Select(v => New(v.Suffix, v.Length))];
        workspace = layer.CreateWorkspace(maxBatch, maxTime);
        finalState = accelerator.Allocate1D<float>((long)stateVectors * maxBatch * H);
    }

    /// <summary>The kernels.</summary>
    public TLayer Kernels { get; }

    /// <inheritdoc/>
    public SweepSchedule Schedule => Kernels.Schedule;

    /// <summary>I.</summary>
    public int InputSize => Kernels.Options.InputSize;

    /// <summary>H.</summary>
    public int OutputSize => Kernels.Options.HiddenSize;

    /// <summary>W_h [GH,H].</summary>
    public Parameter WH { get; }

    /// <summary>W_x [GH,I].</summary>
    public Parameter WX { get; }

    /// <summary>W_h, W_x, then the cell's vectors, in the order of the cell's parameter record.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>W_h and W_x uniform ±1/√fan_in, then the cell's other parameters (see the cell's layer).</summary>
    public void Initialize(Random rng)
    {
        Initializers.FanIn(WH, Kernels.Options.HiddenSize, rng);
        Initializers.FanIn(WX, Kernels.Options.InputSize, rng);
        InitializeCell();
    }

    /// <inheritdoc/>
    public void Forward(AcceleratorStream stream, ArrayView<float> y, ArrayView<float> x, int batch, int time) =>
        RunForward(stream, workspace, y, Split(finalState.View, batch), x, new ArrayView<float>[stateVectors], batch, time);

    /// <summary>The state is the cell's H-vectors one after another ([h (B·H)] or [h (B·H) | c (B·H)]): S·B·H floats.</summary>
    public long StateLength(int batch) => (long)stateVectors * batch * Kernels.Options.HiddenSize;

    /// <inheritdoc/>
    public void Forward(AcceleratorStream stream, ArrayView<float> y, ArrayView<float> finalState, ArrayView<float> x, ArrayView<float> initialState,
        int batch, int time)
    {
        string shape = stateVectors == 1 ? $"[B={batch}·H]" : $"[{stateVectors}·B={batch}·H]";
        ViewChecks.Required(initialState, nameof(initialState), StateLength(batch), shape, Kernels.Accelerator);
        ViewChecks.Required(finalState, nameof(finalState), StateLength(batch), shape, Kernels.Accelerator);
        RunForward(stream, workspace, y, Split(finalState, batch), x, Split(initialState, batch), batch, time);
    }

    /// <inheritdoc/>
    public void Backward(AcceleratorStream stream, ArrayView<float> dx, ArrayView<float> dy, ArrayView<float> x, int batch, int time) =>
        RunBackward(stream, workspace, dx, dy, x, batch, time);

    /// <summary>The cell's start of its parameters other than W_h and W_x.</summary>
    private protected abstract void InitializeCell();

    /// <summary>The cell's forward from the state's H-vectors (initial ones empty for zeros) into the final ones.</summary>
    private protected abstract void RunForward(AcceleratorStream stream, TWorkspace workspace, ArrayView<float> y, ArrayView<float>[] finalStates,
        ArrayView<float> x, ArrayView<float>[] initialStates, int batch, int time);

    /// <summary>The cell's backward into the parameters' gradients, with no gradient through the state.</summary>
    private protected abstract void RunBackward(AcceleratorStream stream, TWorkspace workspace, ArrayView<float> dx, ArrayView<float> dy,
        ArrayView<float> x, int batch, int time);

    /// <summary>The S H-vectors [B·H] of a state view, in order.</summary>
    private ArrayView<float>[] Split(ArrayView<float> state, int batch)
    {
        long bh = (long)batch * Kernels.Options.HiddenSize;
        return Enumerable.Range(0, stateVectors).Select(k => state.SubView(k * bh, bh)).ToArray();
    }

    /// <summary>Frees parameters, workspace and state buffers.</summary>
    public void Dispose()
    {
        workspace.Dispose();
        finalState.Dispose();
        foreach (var p in Parameters) p.Dispose();
        Kernels.Dispose();
    }
}
