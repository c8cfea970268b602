namespace FastWeights.Tests.Model.Ops;

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

    // ------------------------------------------------------------------ LayerNorm

    /// <summary>y = g⊙(x−μ)/σ + b per row of width D, σ = sqrt(mean((x−μ)²) + ε).</summary>
    public static double[] LayerNormForward(double[] gain, double[] bias, double[] x, int n, int width, double epsilon)
    {
        var y = new double[n * width];
        for (int s = 0; s < n; s++)
        {
            var (mean, inverse) = RowStats(x, s, width, epsilon);
            for (int i = 0; i < width; i++)
                y[s * width + i] = gain[i] * (x[s * width + i] - mean) * inverse + bias[i];
        }
        return y;
    }

    /// <summary>
    /// dg = Σ_n dy⊙x̂, db = Σ_n dy, and with ĝ = dy⊙g: dx = (ĝ − mean(ĝ) − x̂·mean(ĝ⊙x̂))/σ — the chain rule through
    /// x̂ = (x−μ)/σ, using ∂μ/∂x_j = 1/D and ∂σ/∂x_j = x̂_j/(Dσ).
    /// </summary>
    public static (double[] DGain, double[] DBias, double[] Dx) LayerNormBackward(double[] gain, double[] x, double[] dy,
        int n, int width, double epsilon)
    {
        var dGain = new double[width];
        var dBias = new double[width];
        var dx = new double[n * width];
        for (int s = 0; s < n; s++)
        {
            var (mean, inverse) = RowStats(x, s, width, epsilon);
            double meanG = 0, meanGx = 0;
            for (int i = 0; i < width; i++)
            {
                double xHat = (x[s * width + i] - mean) * inverse;
                double g = dy[s * width + i] * gain[i];
                dGain[i] += dy[s * width + i] * xHat;
                dBias[i] += dy[s * width + i];
                meanG += g / width;
                meanGx += g * xHat / width;
            }
            for (int i = 0; i < width; i++)
            {
                double xHat = (x[s * width + i] - mean) * inverse;
                dx[s * width + i] = (dy[s * width + i] * gain[i] - meanG - xHat * meanGx) * inverse;
            }
        }
        return (dGain, dBias, dx);
    }

    private static (double Mean, double Inverse) RowStats(double[] x, int row, int width, double epsilon)
    {
        double mean = 0;
        for (int i = 0; i < width; i++) mean += x[row * width + i];
        mean /= width;
        double variance = 0;
        for (int i = 0; i < width; i++) variance += (x[row * width + i] - mean) * (x[row * width + i] - mean);
        variance /= width;
        return (mean, 1.0 / Math.Sqrt(variance + epsilon));
    }

    // ------------------------------------------------------------------ Add, TokenShift

    /// <summary>a + b element-wise.</summary>
    public static double[] Add(double[] a, double[] b)
    {
        if (a.Length != b.Length) throw new ArgumentException("length mismatch");
        var sum = new double[a.Length];
        for (int k = 0; k < a.Length; k++) sum[k] = a[k] + b[k];
        return sum;
    }

    /// <summary>shifted[b,t,:] = [x[b,t,:], x[b,t−1,:]] ([B,T,2D]), zeros for t = 0.</summary>
    public static double[] TokenShiftForward(double[] x, int batch, int time, int width)
    {
        var shifted = new double[batch * time * 2 * width];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < time; t++)
                for (int i = 0; i < width; i++)
                {
                    int row = b * time + t;
                    shifted[row * 2 * width + i] = x[row * width + i];
                    if (t > 0) shifted[row * 2 * width + width + i] = x[(row - 1) * width + i];
                }
        return shifted;
    }

    /// <summary>dx[b,t,:] = dshifted[b,t,:D] + dshifted[b,t+1,D:] (the second term for t &lt; T−1).</summary>
    public static double[] TokenShiftBackward(double[] dShifted, int batch, int time, int width)
    {
        var dx = new double[batch * time * width];
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < time; t++)
                for (int i = 0; i < width; i++)
                {
                    int row = b * time + t;
                    dx[row * width + i] = dShifted[row * 2 * width + i] + (t < time - 1 ? dShifted[(row + 1) * 2 * width + width + i] : 0.0);
                }
        return dx;
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
}
