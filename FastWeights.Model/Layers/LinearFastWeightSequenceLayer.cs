using FastWeights.Kernels.Core;
using FastWeights.Kernels.LinearFastWeights;
using FastWeights.Model.Ops;
using FastWeights.Model.Parameters;

namespace FastWeights.Model.Layers;

/// <summary>
/// Multi-head fast-weight attention (Schlag, Irie and Schmidhuber 2021): per step, q = x W_qᵀ + b_q, k = x W_kᵀ + b_k,
/// v = x W_vᵀ + b_v ([N, H·d], [N, H·d], [N, H·m], which is the memory's [B,T,heads,·] layout), for the delta rule
/// also β = x W_βᵀ + b_β ([N, H], logits); the <see cref="LinearFastWeightLayer"/> writes (k, v) into each head's
/// memory and reads it with q; an output projection [N, H·m] → [N, D]. Each sequence starts from an empty memory, or
/// from a given state (W0 [B,heads,m,d'] and, for the normalised sum rule, z0 [B,heads,d']) whose final value is handed
/// back, like the RNN layer's (h, A): passing one call's (WT, zT) as the next call's (W0, z0) continues the sequences.
/// </summary>
/// <remarks>
/// <para>Parameters, in order: <c>name.q.*</c>, <c>name.k.*</c>, <c>name.v.*</c>, <c>name.beta.*</c> (delta rule only),
/// <c>name.out.*</c>, each a <see cref="Dense"/> weight [Out,In] and bias [Out].</para>
/// <para>Memory contract: the module keeps the activations of its last forward (q, k, v, β, the memory's
/// output and its workspace); a backward must follow the forward it differentiates, with the same x, batch
/// and time. It overwrites every parameter gradient and dx. Buffers are sized once for (maxBatch, maxTime).</para>
/// </remarks>
public sealed class LinearFastWeightSequenceLayer : IModule, IDisposable
{
    private readonly LinearFastWeightLayer memory;
    private readonly LinearFastWeightWorkspace workspace;
    private readonly Dense query, key, value, output;
    private readonly Dense? beta;
    private readonly Add add;
    private readonly ActivationBuffers buffers = new();
    private readonly ArrayView<float> q, k, v, b, y, wT, dq, dk, dv, db, dyMemory, scratch;

    /// <summary>Builds the projections and the memory and allocates buffers for up to (maxBatch, maxTime).</summary>
    /// <param name="accelerator">Device.</param>
    /// <param name="name">Module name (parameter prefix).</param>
    /// <param name="options">Sizes and rules (validated here).</param>
    /// <param name="maxBatch">Largest B ≥ 1.</param>
    /// <param name="maxTime">Largest T ≥ 1.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option or size is out of range (the exception names it).</exception>
    public LinearFastWeightSequenceLayer(Accelerator accelerator, string name, LinearFastWeightSequenceOptions options, int maxBatch, int maxTime)
    {
        ViewChecks.LiveAccelerator(accelerator);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        SequenceChecks.Limits(maxBatch, maxTime);
        Accelerator = accelerator;
        Name = name;
        Options = options;
        MaxBatch = maxBatch;
        MaxTime = maxTime;
        int D = options.Width, H = options.Heads, d = options.KeySize, m = options.ValueSize;
        long N = (long)maxBatch * maxTime;
        // Checked before anything is allocated, so a rejected size leaks nothing.
        ViewChecks.FitsInt(N * Math.Max(D, H * Math.Max(d, m)), nameof(maxTime), "maxBatch·maxTime·max(D, H·d, H·m)");
        memory = new LinearFastWeightLayer(accelerator, options.MemoryOptions);
        workspace = memory.CreateWorkspace(maxBatch, maxTime);
        query = new Dense(accelerator, name + ".q", D, H * d);
        key = new Dense(accelerator, name + ".k", D, H * d);
        value = new Dense(accelerator, name + ".v", D, H * m);
        beta = options.Rule == UpdateRule.Delta ? new Dense(accelerator, name + ".beta", D, H) : null;
        output = new Dense(accelerator, name + ".out", H * m, D);
        add = new Add(accelerator, name + ".add");
        Parameters = beta is null
            ? [.. query.Parameters, .. key.Parameters, .. value.Parameters, .. output.Parameters]
            : [.. query.Parameters, .. key.Parameters, .. value.Parameters, .. beta.Parameters, .. output.Parameters];

        q = buffers.Float(Accelerator, N * H * d);
        k = buffers.Float(Accelerator, N * H * d);
        v = buffers.Float(Accelerator, N * H * m);
        b = beta is null ? default : buffers.Float(Accelerator, N * H);
        y = buffers.Float(Accelerator, N * H * m);
        wT = buffers.Float(Accelerator, (long)maxBatch * H * m * memory.FeatureSize);
        dq = buffers.Float(Accelerator, N * H * d);
        dk = buffers.Float(Accelerator, N * H * d);
        dv = buffers.Float(Accelerator, N * H * m);
        db = beta is null ? default : buffers.Float(Accelerator, N * H);
        dyMemory = buffers.Float(Accelerator, N * H * m);
        scratch = buffers.Float(Accelerator, N * D);
    }

    /// <summary>The accelerator every view must live on.</summary>
    public Accelerator Accelerator { get; }
    /// <summary>The module name.</summary>
    public string Name { get; }
    /// <summary>The options.</summary>
    public LinearFastWeightSequenceOptions Options { get; }
    /// <summary>Largest B.</summary>
    public int MaxBatch { get; }
    /// <summary>Largest T.</summary>
    public int MaxTime { get; }
    /// <summary>The fast-weight memory's kernels.</summary>
    public LinearFastWeightLayer Memory => memory;
    /// <summary>q, k, v, (β,) out projections' parameters, in that order.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Uniform ±1/√fan_in for every projection's weight and bias (so σ(β) starts near ½).</summary>
    /// <param name="rng">Source of the values.</param>
    public void Initialize(Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        foreach (var dense in Projections())
        {
            dense.InitializeFanIn(rng);
        }
    }

    private IEnumerable<Dense> Projections()
    {
        yield return query;
        yield return key;
        yield return value;
        if (beta is not null) yield return beta;
        yield return output;
    }

    /// <summary>Floats of one batch's memory state W: B·heads·m·d'.</summary>
    /// <param name="batch">B.</param>
    public long StateLength(int batch) => (long)batch * Options.Heads * Options.ValueSize * memory.FeatureSize;

    /// <summary>Floats of one batch's normaliser z (normalised sum rule only, else 0): B·heads·d'.</summary>
    /// <param name="batch">B.</param>
    public long NormalizerLength(int batch) => memory.Options.KeepsNormalizer ? (long)batch * Options.Heads * memory.FeatureSize : 0;

    /// <summary>output [B,T,D] from x [B,T,D], each sequence from an empty memory; keeps the activations for <see cref="Backward(AcceleratorStream, ArrayView{float}, ArrayView{float}, ArrayView{float}, int, int)"/>.</summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="result">Out [B,T,D]. Overwritten. Must not overlap x.</param>
    /// <param name="x">In [B,T,D].</param>
    /// <param name="batch">1 ≤ B ≤ <see cref="MaxBatch"/>.</param>
    /// <param name="time">1 ≤ T ≤ <see cref="MaxTime"/>.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time is out of range.</exception>
    public void Forward(AcceleratorStream stream, ArrayView<float> result, ArrayView<float> x, int batch, int time) =>
        Forward(stream, result, default, default, x, default, default, batch, time);

    /// <summary>
    /// output [B,T,D] from x [B,T,D] starting from the state (w0, z0), and the final state (wT, zT); keeps the activations
    /// for the backward. The state views follow <see cref="LinearFastWeightLayer.Forward"/>'s rules (z only with the
    /// normalised sum rule; wT may be w0, zT may be z0).
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="result">Out [B,T,D]. Overwritten. Must not overlap x.</param>
    /// <param name="wT">Out [B,heads,m,d'] (<see cref="StateLength"/>), or empty if not wanted. Overwritten.</param>
    /// <param name="zT">Out [B,heads,d'] (<see cref="NormalizerLength"/>), or empty. Overwritten.</param>
    /// <param name="x">In [B,T,D].</param>
    /// <param name="w0">In [B,heads,m,d'], or empty for an empty memory.</param>
    /// <param name="z0">In [B,heads,d'], or empty for zeros.</param>
    /// <param name="batch">1 ≤ B ≤ <see cref="MaxBatch"/>.</param>
    /// <param name="time">1 ≤ T ≤ <see cref="MaxTime"/>.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time is out of range.</exception>
    public void Forward(AcceleratorStream stream, ArrayView<float> result, ArrayView<float> wT, ArrayView<float> zT,
        ArrayView<float> x, ArrayView<float> w0, ArrayView<float> z0, int batch, int time)
    {
        int n = CheckCall(stream, batch, time);
        string shape = $"[B={batch},T={time},D={Options.Width}]";
        ViewChecks.Required(result, nameof(result), (long)n * Options.Width, shape, Accelerator);
        ViewChecks.Required(x, nameof(x), (long)n * Options.Width, shape, Accelerator);
        var s = Slices(batch, time);
        var finalState = wT.IsValid && wT.Length > 0 ? wT : s.WT;
        // Bad state views are rejected by the memory (naming w0, z0, wT or zT) before it or the output projection
        // writes anything the caller owns; the projections before it only fill this module's own buffers.
        query.Forward(stream, s.Q, x, n);
        key.Forward(stream, s.K, x, n);
        value.Forward(stream, s.V, x, n);
        beta?.Forward(stream, s.B, x, n);
        memory.Forward(stream, workspace, s.Y, finalState, zT, s.Q, s.K, s.V, s.B, w0, z0, batch, time);
        output.Forward(stream, result, s.Y, n);
    }

    /// <summary>
    /// Parameter gradients (overwritten) and dx [B,T,D] (overwritten) from dL/d(output), for the last forward (from an
    /// empty memory): dx is the sum of the q, k, v (and β) projections' input gradients.
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="dx">Out [B,T,D]. Overwritten. Must not overlap the inputs.</param>
    /// <param name="dResult">In [B,T,D].</param>
    /// <param name="x">In [B,T,D]: the last forward's x.</param>
    /// <param name="batch">B of the last forward.</param>
    /// <param name="time">T of the last forward.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time is out of range.</exception>
    /// <exception cref="InvalidOperationException">The last forward had another (batch, time).</exception>
    public void Backward(AcceleratorStream stream, ArrayView<float> dx, ArrayView<float> dResult, ArrayView<float> x, int batch, int time) =>
        Backward(stream, dx, default, default, dResult, default, default, x, default, default, batch, time);

    /// <summary>
    /// The backward of the stateful <see cref="Forward(AcceleratorStream, ArrayView{float}, ArrayView{float}, ArrayView{float}, ArrayView{float}, ArrayView{float}, ArrayView{float}, int, int)"/>:
    /// parameter gradients and dx (overwritten), dL/dW0 and dL/dz0 (overwritten, when given) from dL/d(output) and
    /// dL/dWT, dL/dzT (empty for zeros). w0 and z0 must be the forward's.
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="dx">Out [B,T,D]. Overwritten. Must not overlap the inputs.</param>
    /// <param name="dw0">Out [B,heads,m,d'], or empty if not wanted. Overwritten.</param>
    /// <param name="dz0">Out [B,heads,d'] (normalised sum rule only), or empty. Overwritten.</param>
    /// <param name="dResult">In [B,T,D].</param>
    /// <param name="dwT">In [B,heads,m,d'], or empty for zeros.</param>
    /// <param name="dzT">In [B,heads,d'], or empty for zeros.</param>
    /// <param name="x">In [B,T,D]: the last forward's x.</param>
    /// <param name="w0">In: the last forward's w0 (or empty).</param>
    /// <param name="z0">In: the last forward's z0 (or empty).</param>
    /// <param name="batch">B of the last forward.</param>
    /// <param name="time">T of the last forward.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">batch or time is out of range.</exception>
    /// <exception cref="InvalidOperationException">The last forward had another (batch, time).</exception>
    public void Backward(AcceleratorStream stream, ArrayView<float> dx, ArrayView<float> dw0, ArrayView<float> dz0,
        ArrayView<float> dResult, ArrayView<float> dwT, ArrayView<float> dzT, ArrayView<float> x,
        ArrayView<float> w0, ArrayView<float> z0, int batch, int time)
    {
        int n = CheckCall(stream, batch, time);
        string shape = $"[B={batch},T={time},D={Options.Width}]";
        ViewChecks.Required(dx, nameof(dx), (long)n * Options.Width, shape, Accelerator);
        ViewChecks.Required(dResult, nameof(dResult), (long)n * Options.Width, shape, Accelerator);
        ViewChecks.Required(x, nameof(x), (long)n * Options.Width, shape, Accelerator);
        var s = Slices(batch, time);
        // The output projection has no activation, so its backward reads its y only for a ReLU mask it never applies;
        // the forward's result is not kept, and dResult (same shape) stands in for it.
        output.Backward(stream, s.DyMemory, dResult, s.Y, dResult, n);
        memory.Backward(stream, workspace, s.Dq, s.Dk, s.Dv, s.Db, dw0, dz0, s.DyMemory, dwT, dzT,
            s.Q, s.K, s.V, s.B, w0, z0, batch, time);
        var tmp = scratch.SubView(0, (long)n * Options.Width);
        query.Backward(stream, dx, s.Dq, x, s.Q, n);
        key.Backward(stream, tmp, s.Dk, x, s.K, n);
        add.Forward(stream, dx, dx, tmp, tmp.Length);
        value.Backward(stream, tmp, s.Dv, x, s.V, n);
        add.Forward(stream, dx, dx, tmp, tmp.Length);
        if (beta is not null)
        {
            beta.Backward(stream, tmp, s.Db, x, s.B, n);
            add.Forward(stream, dx, dx, tmp, tmp.Length);
        }
    }

    private readonly record struct Views(ArrayView<float> Q, ArrayView<float> K, ArrayView<float> V, ArrayView<float> B,
        ArrayView<float> Y, ArrayView<float> WT, ArrayView<float> Dq, ArrayView<float> Dk, ArrayView<float> Dv,
        ArrayView<float> Db, ArrayView<float> DyMemory);

    /// <summary>The buffers cut to (batch, time); β and dβ stay empty for the sum rule, as the memory requires.</summary>
    private Views Slices(int batch, int time)
    {
        int H = Options.Heads, d = Options.KeySize, m = Options.ValueSize;
        long rows = (long)batch * time;
        static ArrayView<float> Take(ArrayView<float> buffer, long length) => buffer.IsValid ? buffer.SubView(0, length) : default;
        return new Views(Take(q, rows * H * d), Take(k, rows * H * d), Take(v, rows * H * m), Take(b, rows * H),
            Take(y, rows * H * m), Take(wT, (long)batch * H * m * memory.FeatureSize), Take(dq, rows * H * d), Take(dk, rows * H * d),
            Take(dv, rows * H * m), Take(db, rows * H), Take(dyMemory, rows * H * m));
    }

    private int CheckCall(AcceleratorStream stream, int batch, int time) => SequenceChecks.Rows(stream, Accelerator, batch, time, MaxBatch, MaxTime);

    /// <summary>Frees the projections, the memory's workspace and the activation buffers.</summary>
    public void Dispose()
    {
        buffers.Dispose();
        workspace.Dispose();
        memory.Dispose();
        foreach (var dense in Projections()) dense.Dispose();
    }
}
