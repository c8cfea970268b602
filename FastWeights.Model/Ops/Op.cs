using FastWeights.Kernels.Core;

namespace FastWeights.Model.Ops;

/// <summary>
/// What every op of this folder shares: the accelerator every view must live on, the name, the checks of those two
/// constructor arguments (made before any other), and the per-call check of the stream and of N rows of a given width.
/// </summary>
public abstract class Op
{
    /// <summary>Checks and keeps the accelerator and the name.</summary>
    /// <exception cref="ArgumentNullException">accelerator or name is null.</exception>
    /// <exception cref="ArgumentException">name is empty.</exception>
    /// <exception cref="ObjectDisposedException">The accelerator is disposed.</exception>
    private protected Op(Accelerator accelerator, string name)
    {
        ViewChecks.LiveAccelerator(accelerator);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Accelerator = accelerator;
        Name = name;
    }

    /// <summary>The accelerator every view must live on.</summary>
    public Accelerator Accelerator { get; }

    /// <summary>The op's name (a module's parameters are named <c>name.*</c>).</summary>
    public string Name { get; }

    /// <summary>The stream lives on <see cref="Accelerator"/>, n ≥ 1 and n·<paramref name="width"/> &lt; 2³¹ (named <paramref name="product"/>).</summary>
    private protected void CheckRows(AcceleratorStream stream, int n, long width, string product)
    {
        ViewChecks.Stream(stream, Accelerator);
        ViewChecks.Positive(n, nameof(n));
        ViewChecks.FitsInt(n * width, nameof(n), product);
    }

    /// <summary>
    /// The stream lives on <see cref="Accelerator"/>, b, t and the width (named <paramref name="widthName"/>) are ≥ 1, and
    /// <paramref name="elements"/> &lt; 2³¹ (named <paramref name="product"/>).
    /// </summary>
    private protected void CheckSequence(AcceleratorStream stream, int b, int t, int width, string widthName, long elements, string product)
    {
        ViewChecks.Stream(stream, Accelerator);
        ViewChecks.Positive(b, nameof(b));
        ViewChecks.Positive(t, nameof(t));
        ViewChecks.Positive(width, widthName);
        ViewChecks.FitsInt(elements, nameof(b), product);
    }
}
