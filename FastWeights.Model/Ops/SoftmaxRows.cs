using ILGPU;
using ILGPU.Algorithms;

namespace FastWeights.Model.Ops;

/// <summary>
/// What the two softmax cross-entropy forwards compute alike for one row of logits: the first index of the maximum and
/// the loss and hit written from the row's Σ exp(z − m). Device functions, called by one thread per row.
/// </summary>
internal static class SoftmaxRows
{
    /// <summary>
    /// The first c with z[c] = max_c z (comparisons only, so z[result] is the maximum itself, bit for bit); 0 when the
    /// first entry is NaN, and NaN entries after it are passed over.
    /// </summary>
    public static int FirstArgMax(ArrayView<float> logits, long row, int classes)
    {
        float max = logits[row];
        int argmax = 0;
        for (int c = 1; c < classes; c++)
        {
            float z = logits[row + c];
            if (z > max)
            {
                max = z;
                argmax = c;
            }
        }
        return argmax;
    }

    /// <summary>
    /// losses[n] = log Σ − (z[target] − m) and correct[n] = [argmax = target]; a target outside [0, classes) is never
    /// read: loss NaN, correct 0.
    /// </summary>
    public static void WriteLoss(ArrayView<float> losses, ArrayView<int> correct, long n, ArrayView<float> logits, long row,
        int classes, int target, int argmax, float max, float sum)
    {
        bool valid = target >= 0 && target < classes;
        losses[n] = valid ? XMath.Log(sum) - (logits[row + (valid ? target : 0)] - max) : float.NaN;
        correct[n] = valid && argmax == target ? 1 : 0;
    }
}
