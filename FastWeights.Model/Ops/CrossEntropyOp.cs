using FastWeights.Kernels.Core;

namespace FastWeights.Model.Ops;

/// <summary>
/// What the two softmax cross-entropy ops share: the number of classes (C, or V for a vocabulary), the check of N rows of
/// logits-shaped views against it, and the check of the backward's scale.
/// </summary>
public abstract class CrossEntropyOp : Op
{
    private readonly string letter;

    /// <summary>Checks and keeps the accelerator, the name and the class count; <paramref name="letter"/> names the width in messages.</summary>
    /// <exception cref="ArgumentOutOfRangeException">classes &lt; 1.</exception>
    private protected CrossEntropyOp(Accelerator accelerator, string name, int classes, string letter)
        : base(accelerator, name)
    {
        ViewChecks.Positive(classes, nameof(classes));
        Classes = classes;
        this.letter = letter;
    }

    /// <summary>Number of classes (C; V for a vocabulary).</summary>
    public int Classes { get; }

    /// <summary>The stream, n ≥ 1 and N·C &lt; 2³¹.</summary>
    private protected void CheckSizes(AcceleratorStream stream, int n) => CheckRows(stream, n, Classes, "N·" + letter);

    /// <summary>A required [N,C] view (the message names it).</summary>
    private protected void RequiredRows(ArrayView<float> view, string name, int n) =>
        ViewChecks.Required(view, name, (long)n * Classes, $"[N={n},{letter}={Classes}]", Accelerator);

    /// <summary>The backward's factor must be finite.</summary>
    /// <exception cref="ArgumentOutOfRangeException">scale is NaN or infinite.</exception>
    private protected static void CheckScale(float scale)
    {
        if (!float.IsFinite(scale))
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "scale must be finite.");
    }
}
