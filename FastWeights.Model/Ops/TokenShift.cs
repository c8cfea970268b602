using static FastWeights.Kernels.Core.KernelEntry;
using FastWeights.Kernels.Core;

namespace FastWeights.Model.Ops;

/// <summary>Arguments of the <see cref="TokenShiftKernels"/>.</summary>
internal struct TokenShiftArgs
{
    public int Time, Width;
    public ArrayView<float> Sequence;               // [B,T,D]: forward input, backward output
    public ArrayView<float> Shifted;                // [B,T,2D]: forward output, backward input
}

/// <summary>The token shift's kernels: pure copies and one sum of two terms, so exact.</summary>
internal static class TokenShiftKernels
{
    /// <summary>How a layer loads <see cref="Forward"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, TokenShiftArgs>> ForwardEntry = AutoGrouped<TokenShiftArgs>(Forward);
    /// <summary>How a layer loads <see cref="Backward"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, TokenShiftArgs>> BackwardEntry = AutoGrouped<TokenShiftArgs>(Backward);
    /// <summary>One thread per row (b,t): shifted[b,t,:] = [x[b,t,:], x[b,t−1,:]] with zeros for t = 0.</summary>
    public static void Forward(Index1D index, TokenShiftArgs a)
    {
        long row = index;
        long t = row % a.Time;
        long src = row * a.Width, dst = row * 2 * a.Width;
        for (int i = 0; i < a.Width; i++)
        {
            a.Shifted[dst + i] = a.Sequence[src + i];
            a.Shifted[dst + a.Width + i] = t > 0 ? a.Sequence[src - a.Width + i] : 0f;
        }
    }

    /// <summary>One thread per row (b,t): dx[b,t,:] = dshifted[b,t,:D] + dshifted[b,t+1,D:] (second term only for t &lt; T−1).</summary>
    public static void Backward(Index1D index, TokenShiftArgs a)
    {
        long row = index;
        long t = row % a.Time;
        long dst = row * a.Width, src = row * 2 * a.Width;
        for (int i = 0; i < a.Width; i++)
        {
            float next = t < a.Time - 1 ? a.Shifted[src + 2 * a.Width + a.Width + i] : 0f;
            a.Sequence[dst + i] = a.Shifted[src + i] + next;
        }
    }
}

/// <summary>
/// Token shift: each step sees its own input and the previous step's, shifted[b,t,:] = [x[b,t,:] ; x[b,t−1,:]]
/// ([B,T,D] → [B,T,2D], zeros in place of x[b,−1,:]). No parameters. It gives a layer without positional information
/// (a linear-attention memory) access to the previous token, so one write can bind a letter to the digit after it
/// (docs/model.md).
/// </summary>
/// <remarks>
/// Memory contract: <see cref="Backward"/> overwrites all of dx. Every view must live on <see cref="Accelerator"/>;
/// calls are asynchronous on the stream given; every argument is checked before any kernel is queued. One launch
/// each way (a thread per row); the results are exact (copies, and in the backward one float32 sum of two terms).
/// </remarks>
public sealed class TokenShift : Op
{
    private readonly KernelPair<TokenShiftArgs> kernels;

    /// <summary>Compiles the kernels.</summary>
    /// <param name="accelerator">Where every view passed later lives.</param>
    /// <param name="name">Op name (for messages and model listings).</param>
    /// <exception cref="ArgumentNullException">accelerator or name is null.</exception>
    /// <exception cref="ArgumentException">name is empty.</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public TokenShift(Accelerator accelerator, string name)
        : base(accelerator, name)
    {
        kernels = new KernelPair<TokenShiftArgs>(accelerator, TokenShiftKernels.ForwardEntry, TokenShiftKernels.BackwardEntry);
    }

    /// <summary>shifted[b,t,:] = [x[b,t,:] ; x[b,t−1,:]], zeros for t = 0.</summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="shifted">Out [B,T,2D]. Overwritten. Must not overlap x.</param>
    /// <param name="x">In [B,T,D].</param>
    /// <param name="b">B ≥ 1.</param>
    /// <param name="t">T ≥ 1.</param>
    /// <param name="d">D ≥ 1.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or B·T·2D ≥ 2³¹.</exception>
    /// <exception cref="ObjectDisposedException">The stream or a buffer is disposed.</exception>
    public void Forward(AcceleratorStream stream, ArrayView<float> shifted, ArrayView<float> x, int b, int t, int d)
    {
        CheckSizes(stream, b, t, d);
        ViewChecks.Required(shifted, nameof(shifted), 2L * b * t * d, $"[B={b},T={t},2D={2 * d}]", Accelerator);
        ViewChecks.Required(x, nameof(x), (long)b * t * d, $"[B={b},T={t},D={d}]", Accelerator);
        kernels.Forward(stream, (Index1D)(b * t), new TokenShiftArgs { Time = t, Width = d, Sequence = x, Shifted = shifted });
    }

    /// <summary>dx[b,t,:] = dshifted[b,t,:D] + dshifted[b,t+1,D:2D] (the second term only for t &lt; T−1).</summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="dx">Out [B,T,D]. Overwritten. Must not overlap dshifted.</param>
    /// <param name="dshifted">In [B,T,2D].</param>
    /// <param name="b">B ≥ 1.</param>
    /// <param name="t">T ≥ 1.</param>
    /// <param name="d">D ≥ 1.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or B·T·2D ≥ 2³¹.</exception>
    /// <exception cref="ObjectDisposedException">The stream or a buffer is disposed.</exception>
    public void Backward(AcceleratorStream stream, ArrayView<float> dx, ArrayView<float> dshifted, int b, int t, int d)
    {
        CheckSizes(stream, b, t, d);
        ViewChecks.Required(dx, nameof(dx), (long)b * t * d, $"[B={b},T={t},D={d}]", Accelerator);
        ViewChecks.Required(dshifted, nameof(dshifted), 2L * b * t * d, $"[B={b},T={t},2D={2 * d}]", Accelerator);
        kernels.Backward(stream, (Index1D)(b * t), new TokenShiftArgs { Time = t, Width = d, Sequence = dx, Shifted = dshifted });
    }

    private void CheckSizes(AcceleratorStream stream, int b, int t, int d) => CheckSequence(stream, b, t, d, nameof(d), 2L * b * t * d, "B·T·2D");
}
