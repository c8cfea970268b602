using static FastWeights.Kernels.Core.KernelEntry;
using FastWeights.Kernels.Core;
using FastWeights.Kernels.Host;
using ILGPU;
using ILGPU.Algorithms;

namespace FastWeights.Model.Ops;

/// <summary>Arguments of the <see cref="SoftmaxCrossEntropyKernels"/>.</summary>
internal struct SoftmaxCrossEntropyArgs
{
    public int Samples, Classes;
    public float Scale;                             // backward: dLogits = Scale·(p − onehot)
    public ArrayView<float> Losses;                 // [N]
    public ArrayView<float> Probabilities;          // [N,C]
    public ArrayView<int> Correct;                  // [N]
    public ArrayView<float> Logits;                 // [N,C] forward input; backward output (dLogits)
    public ArrayView<int> Targets;                  // [N]
}

/// <summary>Row-wise softmax with cross-entropy, and its gradient with respect to the logits.</summary>
internal static class SoftmaxCrossEntropyKernels
{
    /// <summary>How a layer loads <see cref="Forward"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, SoftmaxCrossEntropyArgs>> ForwardEntry = AutoGrouped<SoftmaxCrossEntropyArgs>(Forward);
    /// <summary>How a layer loads <see cref="Backward"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, SoftmaxCrossEntropyArgs>> BackwardEntry = AutoGrouped<SoftmaxCrossEntropyArgs>(Backward);
    /// <summary>
    /// One thread per sample n: m = max_c z, p = exp(z − m) / Σ exp(z − m), loss = log Σ exp(z − m) − (z[target] − m),
    /// correct = [first index of the max = target]. A target outside [0,C) is never read: loss NaN, correct 0.
    /// </summary>
    public static void Forward(Index1D index, SoftmaxCrossEntropyArgs a)
    {
        long n = index;
        long row = n * a.Classes;
        int argmax = SoftmaxRows.FirstArgMax(a.Logits, row, a.Classes);
        float max = a.Logits[row + argmax];
        float sum = 0f;
        for (int c = 0; c < a.Classes; c++)
        {
            float e = XMath.Exp(a.Logits[row + c] - max);
            a.Probabilities[row + c] = e;
            sum += e;
        }
        float inverse = 1f / sum;
        for (int c = 0; c < a.Classes; c++)
            a.Probabilities[row + c] *= inverse;
        int target = a.Targets[n];
        SoftmaxRows.WriteLoss(a.Losses, a.Correct, n, a.Logits, row, a.Classes, target, argmax, max, sum);
    }

    /// <summary>One thread per sample n: dLogits[n,c] = scale·(p[n,c] − [c = target]). A target outside [0,C) matches no c.</summary>
    public static void Backward(Index1D index, SoftmaxCrossEntropyArgs a)
    {
        long n = index;
        long row = n * a.Classes;
        int target = a.Targets[n];
        for (int c = 0; c < a.Classes; c++)
            a.Logits[row + c] = a.Scale * (a.Probabilities[row + c] - (c == target ? 1f : 0f));
    }
}

/// <summary>
/// Softmax over C classes with the cross-entropy loss against integer targets, row-major float32, no parameters.
/// Numerically stable: the row maximum is subtracted before exponentiating.
/// </summary>
/// <remarks>
/// <para>Contract: every target lies in [0, C). The kernels cannot check it without a device→host copy, so
/// the caller validates targets on the host before uploading them (the model does). A target outside the
/// range never makes a kernel read or write out of bounds: its loss is NaN, its correct flag 0 and its
/// gradient row scale·p.</para>
/// <para>Memory contract: <see cref="Forward"/> overwrites losses, probabilities and correct;
/// <see cref="Backward"/> overwrites dLogits. Every view must live on <see cref="Accelerator"/>; calls are
/// asynchronous on the stream given; every argument is checked before any kernel is queued. One launch each
/// way, one thread per sample.</para>
/// </remarks>
public sealed class SoftmaxCrossEntropy : CrossEntropyOp
{
    private readonly KernelPair<SoftmaxCrossEntropyArgs> kernels;

    /// <summary>Compiles the kernels.</summary>
    /// <param name="accelerator">Where every view passed later lives.</param>
    /// <param name="name">Op name (for messages and model listings).</param>
    /// <param name="classes">C ≥ 1: number of classes.</param>
    /// <exception cref="ArgumentNullException">accelerator or name is null.</exception>
    /// <exception cref="ArgumentException">name is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">classes &lt; 1.</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    public SoftmaxCrossEntropy(Accelerator accelerator, string name, int classes)
        : base(accelerator, name, classes, "C")
    {
        kernels = new KernelPair<SoftmaxCrossEntropyArgs>(accelerator, SoftmaxCrossEntropyKernels.ForwardEntry, SoftmaxCrossEntropyKernels.BackwardEntry);
    }

    /// <summary>
    /// Per sample: probabilities = softmax(logits), loss = −log p[target], correct = 1 when the first index of
    /// the row maximum (ties go to the lowest index) equals the target, else 0.
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="losses">Out [N]. Overwritten.</param>
    /// <param name="probabilities">Out [N,C]. Overwritten; <see cref="Backward"/> reads it.</param>
    /// <param name="correct">Out [N] (int). Overwritten.</param>
    /// <param name="logits">In [N,C].</param>
    /// <param name="targets">In [N] (int), each in [0,C) (see the remarks on the class).</param>
    /// <param name="n">N ≥ 1.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">n &lt; 1 or N·C ≥ 2³¹.</exception>
    /// <exception cref="ObjectDisposedException">The stream or a buffer is disposed.</exception>
    public void Forward(AcceleratorStream stream, ArrayView<float> losses, ArrayView<float> probabilities, ArrayView<int> correct,
        ArrayView<float> logits, ArrayView<int> targets, int n)
    {
        CheckSizes(stream, n);
        ViewChecks.Required(losses, nameof(losses), n, $"[N={n}]", Accelerator);
        RequiredRows(probabilities, nameof(probabilities), n);
        ViewChecks.Required(correct, nameof(correct), n, $"[N={n}]", Accelerator);
        RequiredRows(logits, nameof(logits), n);
        ViewChecks.Required(targets, nameof(targets), n, $"[N={n}]", Accelerator);
        kernels.Forward(stream, (Index1D)n, new SoftmaxCrossEntropyArgs
        {
            Samples = n, Classes = Classes,
            Losses = losses, Probabilities = probabilities, Correct = correct, Logits = logits, Targets = targets,
        });
    }

    /// <summary>
    /// dL/dlogits for L = scale·Σ_n loss[n]: dLogits[n,c] = scale·(p[n,c] − [c = target[n]]). Pass
    /// scale = 1/N for the mean loss.
    /// </summary>
    /// <param name="stream">Stream of <see cref="Accelerator"/>.</param>
    /// <param name="dLogits">Out [N,C]. Overwritten. May be the same view as <paramref name="probabilities"/>
    /// (each element is read once, then written by the same thread).</param>
    /// <param name="probabilities">In [N,C]: the forward's probabilities.</param>
    /// <param name="targets">In [N] (int): the forward's targets.</param>
    /// <param name="n">N ≥ 1.</param>
    /// <param name="scale">Factor on every gradient element; must be finite.</param>
    /// <exception cref="ArgumentException">A view is missing, has the wrong length or lives elsewhere (the message names it).</exception>
    /// <exception cref="ArgumentOutOfRangeException">n &lt; 1, N·C ≥ 2³¹, or scale is NaN or infinite.</exception>
    /// <exception cref="ObjectDisposedException">The stream or a buffer is disposed.</exception>
    public void Backward(AcceleratorStream stream, ArrayView<float> dLogits, ArrayView<float> probabilities, ArrayView<int> targets,
        int n, float scale)
    {
        CheckSizes(stream, n);
        CheckScale(scale);
        RequiredRows(dLogits, nameof(dLogits), n);
        RequiredRows(probabilities, nameof(probabilities), n);
        ViewChecks.Required(targets, nameof(targets), n, $"[N={n}]", Accelerator);
        kernels.Backward(stream, (Index1D)n, new SoftmaxCrossEntropyArgs
        {
            Samples = n, Classes = Classes, Scale = scale, Probabilities = probabilities, Logits = dLogits, Targets = targets,
        });
    }
}
