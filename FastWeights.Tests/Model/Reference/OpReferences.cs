namespace FastWeights.Tests.Model.Reference;

/// <summary>
/// Plain float64 versions of the model ops (forward and hand-derived backward), row-major like the kernels.
/// Written for clarity, not speed: the kernels and the finite-difference checks are compared against these.
/// </summary>
public static class OpReferences
{
    // ------------------------------------------------------------------ Embedding

    /// <summary>out[n,:] = weight[tokens[n],:]; zeros for a token outside [0,V).</summary>
    public static double[] EmbeddingForward(double[] weight, int[] tokens, int vocabulary, int dimension)
    {
        var output = new double[tokens.Length * dimension];
        for (int n = 0; n < tokens.Length; n++)
        {
            int v = tokens[n];
            if (v < 0 || v >= vocabulary) continue;
            for (int d = 0; d < dimension; d++)
                output[n * dimension + d] = weight[v * dimension + d];
        }
        return output;
    }

    /// <summary>dWeight[v,:] = Σ_{n: tokens[n]=v} dOut[n,:]; out-of-range tokens contribute nothing.</summary>
    public static double[] EmbeddingBackward(double[] dOutput, int[] tokens, int vocabulary, int dimension)
    {
        var dWeight = new double[vocabulary * dimension];
        for (int n = 0; n < tokens.Length; n++)
        {
            int v = tokens[n];
            if (v < 0 || v >= vocabulary) continue;
            for (int d = 0; d < dimension; d++)
                dWeight[v * dimension + d] += dOutput[n * dimension + d];
        }
        return dWeight;
    }

    // ------------------------------------------------------------------ Dense

    /// <summary>Pre-activation a = x Wᵀ + b, [N,Out].</summary>
    public static double[] DensePreActivation(double[] weight, double[] bias, double[] x, int n, int inputs, int outputs)
    {
        var a = new double[n * outputs];
        for (int s = 0; s < n; s++)
            for (int o = 0; o < outputs; o++)
            {
                double acc = bias[o];
                for (int k = 0; k < inputs; k++)
                    acc += weight[o * inputs + k] * x[s * inputs + k];
                a[s * outputs + o] = acc;
            }
        return a;
    }

    /// <summary>y = act(x Wᵀ + b).</summary>
    public static double[] DenseForward(double[] weight, double[] bias, double[] x, int n, int inputs, int outputs, bool relu)
    {
        var y = DensePreActivation(weight, bias, x, n, inputs, outputs);
        if (relu)
            for (int e = 0; e < y.Length; e++)
                y[e] = Math.Max(0.0, y[e]);
        return y;
    }

    /// <summary>g = dy·[y &gt; 0 if ReLU]; dW = gᵀ x, db = Σ_n g, dx = g W.</summary>
    public static (double[] DWeight, double[] DBias, double[] Dx) DenseBackward(double[] weight, double[] x, double[] y,
        double[] dy, int n, int inputs, int outputs, bool relu)
    {
        var dWeight = new double[outputs * inputs];
        var dBias = new double[outputs];
        var dx = new double[n * inputs];
        for (int s = 0; s < n; s++)
            for (int o = 0; o < outputs; o++)
            {
                double g = relu && y[s * outputs + o] <= 0.0 ? 0.0 : dy[s * outputs + o];
                dBias[o] += g;
                for (int k = 0; k < inputs; k++)
                {
                    dWeight[o * inputs + k] += g * x[s * inputs + k];
                    dx[s * inputs + k] += g * weight[o * inputs + k];
                }
            }
        return (dWeight, dBias, dx);
    }

    // ------------------------------------------------------------------ LastStep

    /// <summary>out[b,:] = sequence[b,T−1,:].</summary>
    public static double[] LastStepForward(double[] sequence, int batch, int time, int hidden)
    {
        var output = new double[batch * hidden];
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < hidden; i++)
                output[b * hidden + i] = sequence[(b * time + time - 1) * hidden + i];
        return output;
    }

    /// <summary>dSequence = zeros except dSequence[b,T−1,:] = dOut[b,:].</summary>
    public static double[] LastStepBackward(double[] dOutput, int batch, int time, int hidden)
    {
        var dSequence = new double[batch * time * hidden];
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < hidden; i++)
                dSequence[(b * time + time - 1) * hidden + i] = dOutput[b * hidden + i];
        return dSequence;
    }

    // ------------------------------------------------------------------ SoftmaxCrossEntropy

    /// <summary>p = softmax(z) per row (max subtracted), loss = −log p[target], correct = [first argmax = target].</summary>
    public static (double[] Losses, double[] Probabilities, int[] Correct) SoftmaxCrossEntropyForward(
        double[] logits, int[] targets, int classes)
    {
        int n = targets.Length;
        var losses = new double[n];
        var probabilities = new double[n * classes];
        var correct = new int[n];
        for (int s = 0; s < n; s++)
        {
            int row = s * classes;
            int argmax = 0;
            for (int c = 1; c < classes; c++)
                if (logits[row + c] > logits[row + argmax]) argmax = c;
            double max = logits[row + argmax];
            double sum = 0.0;
            for (int c = 0; c < classes; c++)
                sum += Math.Exp(logits[row + c] - max);
            for (int c = 0; c < classes; c++)
                probabilities[row + c] = Math.Exp(logits[row + c] - max) / sum;
            losses[s] = Math.Log(sum) - (logits[row + targets[s]] - max);
            correct[s] = argmax == targets[s] ? 1 : 0;
        }
        return (losses, probabilities, correct);
    }

    /// <summary>Mean of the per-sample losses.</summary>
    public static double MeanCrossEntropy(double[] logits, int[] targets, int classes) =>
        SoftmaxCrossEntropyForward(logits, targets, classes).Losses.Average();

    /// <summary>dLogits = scale·(p − onehot(target)).</summary>
    public static double[] SoftmaxCrossEntropyBackward(double[] probabilities, int[] targets, int classes, double scale)
    {
        var dLogits = new double[probabilities.Length];
        for (int s = 0; s < targets.Length; s++)
            for (int c = 0; c < classes; c++)
                dLogits[s * classes + c] = scale * (probabilities[s * classes + c] - (c == targets[s] ? 1.0 : 0.0));
        return dLogits;
    }

    // ------------------------------------------------------------------ helpers

    /// <summary>Σ a·b: the scalar loss L = ⟨dOut, out⟩ whose gradient with respect to out is dOut.</summary>
    public static double Dot(double[] a, double[] b)
    {
        if (a.Length != b.Length) throw new ArgumentException("length mismatch");
        double acc = 0.0;
        for (int k = 0; k < a.Length; k++) acc += a[k] * b[k];
        return acc;
    }

    /// <summary>Central differences of <paramref name="loss"/> with respect to every element of <paramref name="values"/> (restored after).</summary>
    public static double[] CentralDifferences(double[] values, Func<double> loss, double step)
    {
        var gradient = new double[values.Length];
        for (int k = 0; k < values.Length; k++)
        {
            double saved = values[k];
            values[k] = saved + step;
            double plus = loss();
            values[k] = saved - step;
            double minus = loss();
            values[k] = saved;
            gradient[k] = (plus - minus) / (2 * step);
        }
        return gradient;
    }
}
