using static FastWeights.Kernels.Core.KernelEntry;
using FastWeights.Kernels.Core;

namespace FastWeights.Model.Ops;

/// <summary>Arguments of the <see cref="LastStepKernels"/>.</summary>
internal struct LastStepArgs
{
    public int Batch, Time, Hidden;
    public ArrayView<float> Sequence;               // [B,T,H]: forward input, backward output
    public ArrayView<float> Last;                   // [B,H]: forward output, backward input
}

/// <summary>Copy of the last step and its scatter back.</summary>
internal static class LastStepKernels
{
    /// <summary>How a layer loads <see cref="Forward"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LastStepArgs>> ForwardEntry = AutoGrouped<LastStepArgs>(Forward);
    /// <summary>How a layer loads <see cref="Backward"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, LastStepArgs>> BackwardEntry = AutoGrouped<LastStepArgs>(Backward);
    /// <summary>One thread per sequence b: last[b,:] = sequence[b,T−1,:].</summary>
    public static void Forward(Index1D index, LastStepArgs a)
    {
        long b = index;
        long src = (b * a.Time + a.Time - 1) * a.Hidden, dst = b * a.Hidden;
        for (int i = 0; i < a.Hidden; i++)
            a.Last[dst + i] = a.Sequence[src + i];
    }

    /// <summary>One thread per row (b,t): dSequence[b,t,:] = dLast[b,:] when t = T−1, else zeros.</summary>
    public static void Backward(Index1D index, LastStepArgs a)
    {
        long row = index;
        long b = row / a.Time;
        long t = row - b * a.Time;
        long dst = row * a.Hidden;
        if (t == a.Time - 1)
        {
            long src = b * a.Hidden;
            for (int i = 0; i < a.Hidden; i++)
                a.Sequence[dst + i] = a.Last[src + i];
        }
        else
        {
            for (int i = 0; i < a.Hidden; i++)
                a.Sequence[dst + i] = 0f;
        }
    }
}

/// <summary>
/// Selects the last step of a sequence: output[b,:] = sequence[b,T−1,:] (row-major float32, no parameters).
/// </summary>
/// <remarks>
/// Memory contract: <see cref="Backward"/> overwrites all of dSequence (zeros except step T−1). Every view
/// must live on <see cref="Accelerator"/>; calls are asynchronous on the stream given; every argument is
/// checked before any kernel is queued. One launch each way.
/// </remarks>
public sealed class LastStep : Op
{
    private readonly KernelPair<LastStepArgs> kernels;

    /// <summary>Compiles the kernels.</summary>
    /// <param name="accelerator">Where every view passed later lives.</param>
    /// <param name="name">Op name (for messages and model listings).</param>
    /// <exception cref="ArgumentNullException">accelerator or name is null.</exception>
    /// <exception cref="ArgumentException">name is empty.</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public LastStep(Accelerator accelerator, string name)
        : base(accelerator, name)
    {
        kernels = new KernelPair<LastStepArgs>(accelerator, LastStepKernels.ForwardEntry, LastStepKernels.BackwardEntry);
    }

    /// <summary>output[b,:] = sequence[b,T−1,:].</summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="output">Out [B,H]. Overwritten.</param>
    /// <param name="sequence">In [B,T,H].</param>
    /// <param name="b">B ≥ 1.</param>
    /// <param name="t">T ≥ 1.</param>
    /// <param name="h">H ≥ 1.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or B·T·H ≥ 2³¹.</exception>
    /// <exception cref="ObjectDisposedException">The stream or a buffer is disposed.</exception>
    public void Forward(AcceleratorStream stream, ArrayView<float> output, ArrayView<float> sequence, int b, int t, int h)
    {
        CheckSizes(stream, b, t, h);
        ViewChecks.Required(output, nameof(output), (long)b * h, $"[B={b},H={h}]", Accelerator);
        ViewChecks.Required(sequence, nameof(sequence), (long)b * t * h, $"[B={b},T={t},H={h}]", Accelerator);
        kernels.Forward(stream, (Index1D)b, new LastStepArgs { Batch = b, Time = t, Hidden = h, Sequence = sequence, Last = output });
    }

    /// <summary>dSequence[b,T−1,:] = dOutput[b,:]; every other step of dSequence is set to zero.</summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="dSequence">Out [B,T,H]. Overwritten entirely.</param>
    /// <param name="dOutput">In [B,H].</param>
    /// <param name="b">B ≥ 1.</param>
    /// <param name="t">T ≥ 1.</param>
    /// <param name="h">H ≥ 1.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size is &lt; 1 or B·T·H ≥ 2³¹.</exception>
    /// <exception cref="ObjectDisposedException">The stream or a buffer is disposed.</exception>
    public void Backward(AcceleratorStream stream, ArrayView<float> dSequence, ArrayView<float> dOutput, int b, int t, int h)
    {
        CheckSizes(stream, b, t, h);
        ViewChecks.Required(dSequence, nameof(dSequence), (long)b * t * h, $"[B={b},T={t},H={h}]", Accelerator);
        ViewChecks.Required(dOutput, nameof(dOutput), (long)b * h, $"[B={b},H={h}]", Accelerator);
        kernels.Backward(stream, (Index1D)(b * t), new LastStepArgs { Batch = b, Time = t, Hidden = h, Sequence = dSequence, Last = dOutput });
    }

    private void CheckSizes(AcceleratorStream stream, int b, int t, int h) => CheckSequence(stream, b, t, h, nameof(h), (long)b * t * h, "B·T·H");
}
