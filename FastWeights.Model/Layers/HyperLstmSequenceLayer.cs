using FastWeights.Kernels.Core;
using FastWeights.Kernels.HyperLstm;
using FastWeights.Model.Parameters;

namespace FastWeights.Model.Layers;

/// <summary>
/// The HyperLSTM baseline as a model layer: the <see cref="HyperLstmLayer"/> kernels with their eighteen parameters
/// (<c>name.W_h</c>, <c>name.W_x</c>, <c>name.b</c>, <c>name.ln_gain</c>, <c>name.ln_bias</c>, <c>name.cell_ln_gain</c>,
/// <c>name.cell_ln_bias</c>, the same under <c>name.hyper.</c> plus <c>name.hyper.W_hm</c>, and <c>name.W_z</c>,
/// <c>name.b_z</c>, <c>name.W_d</c>), a workspace and zero initial state.
/// </summary>
public sealed class HyperLstmSequenceLayer : IStatefulSequenceLayer
{
    private readonly HyperLstmLayer layer;
    private readonly HyperLstmWorkspace workspace;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> state;

    /// <summary>Builds the layer for batches of up to <paramref name="maxBatch"/> sequences of up to <paramref name="maxTime"/> steps.</summary>
    /// <param name="accelerator">Device.</param>
    /// <param name="name">Module name (parameter prefix).</param>
    /// <param name="input">I.</param>
    /// <param name="hidden">H, the main cell.</param>
    /// <param name="hyperHidden">N_h, the hyper cell.</param>
    /// <param name="embedding">N_z, each embedding.</param>
    /// <param name="maxBatch">Largest B.</param>
    /// <param name="maxTime">Largest T.</param>
    public HyperLstmSequenceLayer(Accelerator accelerator, string name, int input, int hidden, int hyperHidden, int embedding, int maxBatch, int maxTime)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        layer = new HyperLstmLayer(accelerator, new HyperLstmOptions
        {
            InputSize = input, HiddenSize = hidden, HyperHiddenSize = hyperHidden, EmbeddingSize = embedding,
        });
        int H = hidden, N = hyperHidden, Z = embedding, I = input;
        Parameter P(string suffix, params int[] shape) => new(accelerator, name + "." + suffix, shape);
        Parameters =
        [
            P("W_h", 4 * H, H), P("W_x", 4 * H, I), P("b", 4 * H), P("ln_gain", 4 * H), P("ln_bias", 4 * H), P("cell_ln_gain", H), P("cell_ln_bias", H),
            P("hyper.W_h", 4 * N, N), P("hyper.W_hm", 4 * N, H), P("hyper.W_x", 4 * N, I), P("hyper.b", 4 * N),
            P("hyper.ln_gain", 4 * N), P("hyper.ln_bias", 4 * N), P("hyper.cell_ln_gain", N), P("hyper.cell_ln_bias", N),
            P("W_z", 12 * Z, N), P("b_z", 8 * Z), P("W_d", 12 * H, Z),
        ];
        workspace = layer.CreateWorkspace(maxBatch, maxTime);
        state = accelerator.Allocate1D<float>((long)maxBatch * 2 * (H + N));
    }

    /// <summary>The kernels.</summary>
    public HyperLstmLayer Kernels => layer;

    /// <inheritdoc/>
    public SweepSchedule Schedule => layer.Schedule;

    /// <summary>I.</summary>
    public int InputSize => layer.Options.InputSize;

    /// <summary>H.</summary>
    public int OutputSize => layer.Options.HiddenSize;

    /// <summary>The eighteen parameters in the order of <see cref="HyperLstmParameters"/>.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>
    /// Starts as the plain LSTM-LN, as the paper does: W_z small (±0.01), b_z = 1 and W_d = 1/N_z on the h and x blocks,
    /// so d_h = d_x ≈ 1; W_d = 0 on the b blocks, so d_b ≈ 0 and b alone biases the gates. The weight matrices are
    /// uniform ±1/√fan_in, the forget-gate biases 1 (both cells), layer-norm gains 1 and shifts 0.
    /// </summary>
    public void Initialize(Random rng)
    {
        var o = layer.Options;
        int H = o.HiddenSize, N = o.HyperHiddenSize, Z = o.EmbeddingSize;
        var p = Parameters;
        Initializers.FanIn(p[0], H, rng);
        Initializers.FanIn(p[1], o.InputSize, rng);
        ForgetBias(p[2], H);
        Initializers.UnitGainZeroShift(p[3], p[4]);
        Initializers.UnitGainZeroShift(p[5], p[6]);
        Initializers.FanIn(p[7], N, rng);
        Initializers.FanIn(p[8], H, rng);
        Initializers.FanIn(p[9], o.InputSize, rng);
        ForgetBias(p[10], N);
        Initializers.UnitGainZeroShift(p[11], p[12]);
        Initializers.UnitGainZeroShift(p[13], p[14]);
        Initializers.Uniform(p[15], 0.01, rng);
        Initializers.Constant(p[16], 1f);
        var wd = new float[12 * H * Z];
        Array.Fill(wd, 1f / Z, 0, 8 * H * Z); // h and x blocks; the b blocks stay 0
        p[17].Upload(wd);
    }

    private static void ForgetBias(Parameter bias, int units)
    {
        var values = new float[4 * units];
        Array.Fill(values, 1f, units, units); // gate order i, f, g, o: rows [n, 2n)
        bias.Upload(values);
    }

    private HyperLstmParameters Views
    {
        get
        {
            var v = Parameters.Select(p => p.Value.View).ToArray();
            return new(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15], v[16], v[17]);
        }
    }

    private HyperLstmParameterGradients Gradients
    {
        get
        {
            var g = Parameters.Select(p => p.Grad.View).ToArray();
            return new(g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15], g[16], g[17]);
        }
    }

    /// <inheritdoc/>
    public void Forward(AcceleratorStream stream, ArrayView<float> y, ArrayView<float> x, int batch, int time)
    {
        long bh = (long)batch * layer.Options.HiddenSize, bn = (long)batch * layer.Options.HyperHiddenSize;
        var s = state.View;
        var final = new HyperLstmState(s.SubView(0, bh), s.SubView(bh, bh), s.SubView(2 * bh, bn), s.SubView(2 * bh + bn, bn));
        layer.Forward(stream, workspace, y, final, x, default, Views, batch, time);
    }

    /// <summary>The state is [h (B·H) | c (B·H) | ĥ (B·N_h) | ĉ (B·N_h)]: 2·B·(H + N_h) floats.</summary>
    public long StateLength(int batch) => 2L * batch * (layer.Options.HiddenSize + layer.Options.HyperHiddenSize);

    /// <inheritdoc/>
    public void Forward(AcceleratorStream stream, ArrayView<float> y, ArrayView<float> finalState, ArrayView<float> x, ArrayView<float> initialState,
        int batch, int time)
    {
        string shape = $"[2·B={batch}·(H+N_h)]";
        ViewChecks.Required(initialState, nameof(initialState), StateLength(batch), shape, layer.Accelerator);
        ViewChecks.Required(finalState, nameof(finalState), StateLength(batch), shape, layer.Accelerator);
        layer.Forward(stream, workspace, y, Split(finalState, batch), x, Split(initialState, batch), Views, batch, time);
    }

    private HyperLstmState Split(ArrayView<float> s, int batch)
    {
        long bh = (long)batch * layer.Options.HiddenSize, bn = (long)batch * layer.Options.HyperHiddenSize;
        return new HyperLstmState(s.SubView(0, bh), s.SubView(bh, bh), s.SubView(2 * bh, bn), s.SubView(2 * bh + bn, bn));
    }

    /// <inheritdoc/>
    public void Backward(AcceleratorStream stream, ArrayView<float> dx, ArrayView<float> dy, ArrayView<float> x, int batch, int time) =>
        layer.Backward(stream, workspace, dx, default, Gradients, dy, default, x, Views, batch, time);

    /// <summary>Frees parameters, workspace and state buffers.</summary>
    public void Dispose()
    {
        workspace.Dispose();
        state.Dispose();
        foreach (var p in Parameters) p.Dispose();
        layer.Dispose();
    }
}
