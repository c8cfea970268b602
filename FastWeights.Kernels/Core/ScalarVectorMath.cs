namespace FastWeights.Kernels.Core;

/// <summary>
/// <see cref="IVectorMath"/> element by element, in index order: what ILGPU compiles to PTX and what its CPU
/// accelerator simulates. Every sum runs k = 0, 1, …, n−1, so results equal the plain loops they replace bit for bit.
/// </summary>
public readonly struct ScalarVectorMath : IVectorMath
{
    /// <inheritdoc />
    public float Dot(ArrayView<float> x, long xOffset, ArrayView<float> y, long yOffset, int n)
    {
        float acc = 0f;
        for (int k = 0; k < n; k++)
            acc += x[xOffset + k] * y[yOffset + k];
        return acc;
    }

    /// <inheritdoc />
    public void Axpy(ArrayView<float> y, long yOffset, float a, ArrayView<float> x, long xOffset, int n)
    {
        for (int k = 0; k < n; k++)
            y[yOffset + k] += a * x[xOffset + k];
    }

    /// <inheritdoc />
    public void ScaleAdd(ArrayView<float> y, long yOffset, float alpha, float beta, ArrayView<float> x, long xOffset, int n)
    {
        for (int k = 0; k < n; k++)
            y[yOffset + k] = alpha * y[yOffset + k] + beta * x[xOffset + k];
    }

    /// <inheritdoc />
    public void SubtractScaledDivide(ArrayView<float> y, long yOffset, float a, ArrayView<float> x, long xOffset, float divisor, int n)
    {
        for (int k = 0; k < n; k++)
            y[yOffset + k] = (y[yOffset + k] - a * x[xOffset + k]) / divisor;
    }

    /// <inheritdoc />
    public void Scale(ArrayView<float> y, long yOffset, float alpha, int n)
    {
        for (int k = 0; k < n; k++)
            y[yOffset + k] *= alpha;
    }

    /// <inheritdoc />
    public void Copy(ArrayView<float> target, long targetOffset, ArrayView<float> source, long sourceOffset, int n)
    {
        for (int k = 0; k < n; k++)
            target[targetOffset + k] = source[sourceOffset + k];
    }

    /// <inheritdoc />
    public void Fill(ArrayView<float> y, long yOffset, float value, int n)
    {
        for (int k = 0; k < n; k++)
            y[yOffset + k] = value;
    }
}
