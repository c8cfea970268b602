namespace FastWeights.Tests.Model.Ops;

/// <summary>
/// The float64 reference of <see cref="FastWeights.Model.Ops.SequenceCrossEntropy"/>, written plainly: per row, the
/// softmax with the maximum subtracted, loss = −log p[target], and the gradient scale·(p − onehot); rows whose target is
/// −1 score nothing (loss 0, correct 0, gradient 0).
/// </summary>
internal static class SequenceCrossEntropyReference
{
    public static (double[] Losses, int[] Correct) Forward(double[] logits, int[] targets, int classes)
    {
        int n = targets.Length;
        var losses = new double[n];
        var correct = new int[n];
        for (int s = 0; s < n; s++)
        {
            if (targets[s] == -1) continue;
            var p = Softmax(logits, s, classes, out int argmax);
            losses[s] = -Math.Log(p[targets[s]]);
            correct[s] = argmax == targets[s] ? 1 : 0;
        }
        return (losses, correct);
    }

    /// <summary>Mean loss over the scored rows (what the model trains on).</summary>
    public static double MeanLoss(double[] logits, int[] targets, int classes) =>
        Forward(logits, targets, classes).Losses.Sum() / targets.Count(t => t != -1);

    public static double[] Backward(double[] logits, int[] targets, int classes, double scale)
    {
        var d = new double[logits.Length];
        for (int s = 0; s < targets.Length; s++)
        {
            if (targets[s] == -1) continue;
            var p = Softmax(logits, s, classes, out _);
            for (int c = 0; c < classes; c++)
                d[s * classes + c] = scale * (p[c] - (c == targets[s] ? 1.0 : 0.0));
        }
        return d;
    }

    private static double[] Softmax(double[] logits, int row, int classes, out int argmax)
    {
        argmax = 0;
        for (int c = 1; c < classes; c++)
            if (logits[row * classes + c] > logits[row * classes + argmax]) argmax = c;
        double max = logits[row * classes + argmax], sum = 0;
        var p = new double[classes];
        for (int c = 0; c < classes; c++) sum += p[c] = Math.Exp(logits[row * classes + c] - max);
        for (int c = 0; c < classes; c++) p[c] /= sum;
        return p;
    }
}
