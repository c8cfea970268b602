using static FastWeights.Kernels.Core.KernelEntry;
using FastWeights.Kernels.Core;
using ILGPU;
using ILGPU.Algorithms;

namespace FastWeights.Model.Ops;

/// <summary>Arguments of the <see cref="SequenceCrossEntropyKernels"/>.</summary>
internal struct SequenceCrossEntropyArgs
{
    public int Classes;
    public float Scale;                             // backward: dLogits = Scale·(p − onehot)
    public ArrayView<float> Losses;                 // [N]
    public ArrayView<int> Correct;                  // [N]
    public ArrayView<float> Logits;                 // [N,V] forward input; backward input (and output when in place)
    public ArrayView<float> DLogits;                // [N,V] backward output
    public ArrayView<int> Targets;                  // [N]; −1 = ignored position
}

/// <summary>Per-position softmax cross-entropy over a sequence batch, and its gradient recomputed from the logits.</summary>
internal static class SequenceCrossEntropyKernels
{
    /// <summary>How a layer loads <see cref="Forward"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, SequenceCrossEntropyArgs>> ForwardEntry = AutoGrouped<SequenceCrossEntropyArgs>(Forward);
    /// <summary>How a layer loads <see cref="Backward"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, SequenceCrossEntropyArgs>> BackwardEntry = AutoGrouped<SequenceCrossEntropyArgs>(Backward);
    /// <summary>
    /// One thread per position n: loss = log Σ_c exp(z_c − m) − (z_target − m) with m = max_c z_c, correct = [first argmax = target].
    /// A target of −1 (ignored) gives loss 0 and correct 0; any other target outside [0,V) gives NaN (never read).
    /// </summary>
    public static void Forward(Index1D index, SequenceCrossEntropyArgs a)
    {
        long n = index;
        long row = n * a.Classes;
        int target = a.Targets[n];
        int argmax = SoftmaxRows.FirstArgMax(a.Logits, row, a.Classes);
        float max = a.Logits[row + argmax];
        if (target == SequenceCrossEntropy.Ignored)
        {
            a.Losses[n] = 0f;
            a.Correct[n] = 0;
            return;
        }
        float sum = 0f;
        for (int c = 0; c < a.Classes; c++)
            sum += XMath.Exp(a.Logits[row + c] - max);
        SoftmaxRows.WriteLoss(a.Losses, a.Correct, n, a.Logits, row, a.Classes, target, argmax, max, sum);
    }

    /// <summary>
    /// One thread per position n: dLogits[n,c] = scale·(softmax(z)_c − [c = target]), the softmax recomputed from the logits
    /// (two reading passes, then each element read and written by this thread, so dLogits may be the logits); 0 for an
    /// ignored position.
    /// </summary>
    public static void Backward(Index1D index, SequenceCrossEntropyArgs a)
    {
        long n = index;
        long row = n * a.Classes;
        int target = a.Targets[n];
        if (target == SequenceCrossEntropy.Ignored)
        {
            for (int c = 0; c < a.Classes; c++) a.DLogits[row + c] = 0f;
            return;
        }
        float max = a.Logits[row];
        for (int c = 1; c < a.Classes; c++) max = XMath.Max(max, a.Logits[row + c]);
        float sum = 0f;
        for (int c = 0; c < a.Classes; c++) sum += XMath.Exp(a.Logits[row + c] - max);
        float inverse = a.Scale / sum;
        for (int c = 0; c < a.Classes; c++)
        {
            float p = XMath.Exp(a.Logits[row + c] - max) * inverse;
            a.DLogits[row + c] = p - (c == target ? a.Scale : 0f);
        }
    }
}

/// <summary>
/// The loss of a sequence model: softmax cross-entropy at every position of a [B,T] batch (N = B·T rows of V logits)
/// against integer targets, with <see cref="Ignored"/> (−1) marking positions that count for nothing (the padding of a
/// last, shorter window). Unlike <see cref="SoftmaxCrossEntropy"/> it stores no probabilities: the backward recomputes
/// the softmax from the logits and may write the gradient over them, so a language model with a large vocabulary keeps
/// one [N,V] buffer instead of two.
/// </summary>
/// <remarks>
/// <para>Contract: every target lies in [0, V) or is <see cref="Ignored"/>; the caller validates them on the host (the
/// kernels cannot without a device→host copy). Another value never makes a kernel read out of bounds: its loss is NaN.</para>
/// <para>Memory contract: <see cref="Forward"/> overwrites losses and correct; <see cref="Backward"/> overwrites dLogits
/// (which may be the logits view). Every view must live on <see cref="Accelerator"/>; calls are asynchronous on the
/// stream given; every argument is checked before any kernel is queued. One launch each way, a thread per position.
/// Numerically stable: the row maximum is subtracted before exponentiating. The loss is in nats; bits per character is
/// the mean loss / ln 2.</para>
/// </remarks>
public sealed class SequenceCrossEntropy : CrossEntropyOp
{
    /// <summary>The target value of a position that is not scored (loss 0, gradient 0).</summary>
    public const int Ignored = -1;

    private readonly KernelPair<SequenceCrossEntropyArgs> kernels;

    /// <summary>Compiles the kernels.</summary>
    /// <param name="accelerator">Where every view passed later lives.</param>
    /// <param name="name">Op name (for messages and model listings).</param>
    /// <param name="classes">V ≥ 1: vocabulary size.</param>
    /// <exception cref="ArgumentNullException">accelerator or name is null.</exception>
    /// <exception cref="ArgumentException">name is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">classes &lt; 1.</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public SequenceCrossEntropy(Accelerator accelerator, string name, int classes)
        : base(accelerator, name, classes, "V")
    {
        kernels = new KernelPair<SequenceCrossEntropyArgs>(accelerator, SequenceCrossEntropyKernels.ForwardEntry, SequenceCrossEntropyKernels.BackwardEntry);
    }

    /// <summary>
    /// Per position: loss = −log softmax(logits)[target] (0 when ignored), correct = 1 when the first index of the row
    /// maximum equals the target, else 0.
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="losses">Out [N]. Overwritten.</param>
    /// <param name="correct">Out [N] (int). Overwritten.</param>
    /// <param name="logits">In [N,V].</param>
    /// <param name="targets">In [N] (int), each in [0,V) or <see cref="Ignored"/>.</param>
    /// <param name="n">N ≥ 1 (B·T).</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">n &lt; 1 or N·V ≥ 2³¹.</exception>
    /// <exception cref="ObjectDisposedException">The stream or a buffer is disposed.</exception>
    public void Forward(AcceleratorStream stream, ArrayView<float> losses, ArrayView<int> correct, ArrayView<float> logits, ArrayView<int> targets, int n)
    {
        CheckSizes(stream, n);
        ViewChecks.Required(losses, nameof(losses), n, $"[N={n}]", Accelerator);
        ViewChecks.Required(correct, nameof(correct), n, $"[N={n}]", Accelerator);
        RequiredRows(logits, nameof(logits), n);
        ViewChecks.Required(targets, nameof(targets), n, $"[N={n}]", Accelerator);
        kernels.Forward(stream, (Index1D)n, new SequenceCrossEntropyArgs
        {
            Classes = Classes, Losses = losses, Correct = correct, Logits = logits, DLogits = logits, Targets = targets,
        });
    }

    /// <summary>
    /// dL/dlogits for L = scale·Σ_n loss[n]: dLogits[n,c] = scale·(softmax(logits[n])_c − [c = target[n]]), 0 on ignored
    /// rows. Pass scale = 1/(number of scored positions) for the mean loss.
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="dLogits">Out [N,V]. Overwritten. May be the same view as <paramref name="logits"/>.</param>
    /// <param name="logits">In [N,V]: the forward's logits.</param>
    /// <param name="targets">In [N] (int): the forward's targets.</param>
    /// <param name="n">N ≥ 1.</param>
    /// <param name="scale">Factor on every gradient element; must be finite.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">n &lt; 1, N·V ≥ 2³¹, or scale is NaN or infinite.</exception>
    /// <exception cref="ObjectDisposedException">The stream or a buffer is disposed.</exception>
    public void Backward(AcceleratorStream stream, ArrayView<float> dLogits, ArrayView<float> logits, ArrayView<int> targets, int n, float scale)
    {
        CheckSizes(stream, n);
        CheckScale(scale);
        RequiredRows(dLogits, nameof(dLogits), n);
        RequiredRows(logits, nameof(logits), n);
        ViewChecks.Required(targets, nameof(targets), n, $"[N={n}]", Accelerator);
        kernels.Backward(stream, (Index1D)n, new SequenceCrossEntropyArgs
        {
            Classes = Classes, Scale = scale, Logits = logits, DLogits = dLogits, Targets = targets,
        });
    }
}
