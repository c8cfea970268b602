namespace FastWeights.Model.Parameters;

/// <summary>
/// A trainable float32 tensor on the device and its gradient buffer of the same shape. Named
/// <c>&lt;module&gt;.&lt;param&gt;</c> (e.g. <c>embedding.weight</c>): the name it has in checkpoints.
/// </summary>
/// <remarks>Memory contract: a module's backward overwrites <see cref="Grad"/>; the optimizer reads it.</remarks>
public sealed class Parameter : IDisposable
{
    /// <summary>Allocates value and gradient (both zero) on <paramref name="accelerator"/>.</summary>
    /// <param name="accelerator">Where the buffers live.</param>
    /// <param name="name">Full name, <c>module.param</c>.</param>
    /// <param name="shape">Dimensions, each ≥ 1.</param>
    /// <exception cref="ArgumentException">Empty name or a dimension &lt; 1.</exception>
    public Parameter(Accelerator accelerator, string name, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(accelerator);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Length == 0 || shape.Any(d => d < 1))
            throw new ArgumentException($"Parameter '{name}': every dimension must be ≥ 1, got [{string.Join(",", shape)}].", nameof(shape));
        Name = name;
        Shape = (int[])shape.Clone();
        Length = shape.Aggregate(1L, (a, d) => a * d);
        Value = accelerator.Allocate1D<float>(Length);
        Grad = accelerator.Allocate1D<float>(Length);
        Value.MemSetToZero();
        Grad.MemSetToZero();
    }

    /// <summary>Full name, <c>module.param</c>.</summary>
    public string Name { get; }

    /// <summary>Dimensions (a copy is kept).</summary>
    public int[] Shape { get; }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    /// <summary>The values.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Value { get; }

    /// <summary>The gradient of the loss with respect to the values.</summary>
    public MemoryBuffer1D<float, Stride1D.Dense> Grad { get; }

    /// <summary>Copies host values in (synchronous).</summary>
    /// <exception cref="ArgumentException">Wrong length.</exception>
    public void Upload(float[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.LongLength != Length)
            throw new ArgumentException($"Parameter '{Name}' has {Length} elements, got {values.LongLength}.", nameof(values));
        Value.CopyFromCPU(values);
    }

    /// <summary>Copies the values to the host (synchronous).</summary>
    public float[] Download() => Value.GetAsArray1D();

    /// <summary>Copies the gradient to the host (synchronous).</summary>
    public float[] DownloadGrad() => Grad.GetAsArray1D();

    /// <summary>Shape as text, e.g. <c>[37,100]</c>.</summary>
    public string ShapeText => "[" + string.Join(",", Shape) + "]";

    /// <summary>Frees both buffers.</summary>
    public void Dispose()
    {
        Value.Dispose();
        Grad.Dispose();
    }
}
