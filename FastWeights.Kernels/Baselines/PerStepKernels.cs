using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Primitives;
using ILGPU.Algorithms;

namespace FastWeights.Kernels.Baselines;

/// <summary>A batched slice of a buffer: element (b, k) is at <c>Offset + b·Stride + k</c>.</summary>
internal struct BatchedView
{
    public ArrayView<float> View;
    public long Offset, Stride;

    public BatchedView(ArrayView<float> view, long offset, long stride)
    {
        View = view;
        Offset = offset;
        Stride = stride;
    }

    public long At(int b, long k) => Offset + b * Stride + k;
}

/// <summary>Out(b)[i] = Add(b)[i] + Σ_j M(b)[i,j] V(b)[j] (or M(b)[j,i] when transposed); optionally Activated(b)[i] = f(Out(b)[i]).</summary>
internal struct MatVecArgs
{
    public int Batch, Hidden, Block, Transpose, HasAdd, HasActivated, Activation;
    public BatchedView Matrix, Vector, Add, Out, Activated;   // Matrix stride 0 = one matrix for every b (W)
}

/// <summary>Out(b)[i,j] = α In(b)[i,j] (+ (β Left(b)[i]) Right(b)[j] when HasOuter).</summary>
internal struct RankOneArgs
{
    public int Batch, Hidden, Block, HasOuter;
    public float Alpha, Beta;
    public BatchedView In, Out, Left, Right;
}

/// <summary>Target(r)[k] = Source(r)[k] (or 0 without a source) for r &lt; Rows, k &lt; Length.</summary>
internal struct RowCopyArgs
{
    public int Rows, Block, HasSource;
    public long Length;
    public BatchedView Source, Target;
}

/// <summary>dh += dy_t + η (Ā + Āᵀ) h_t ; dz_t ← 0.</summary>
internal struct OutputGradArgs
{
    public int Batch, Hidden, Block;
    public float FastLr;
    public BatchedView Dh, Dy, FastWeightGrad, State, Dz;
}

/// <summary>dz_t += dh ⊙ f'(z) with f' from the stored h_0 = f(z).</summary>
internal struct PreliminaryGradArgs
{
    public int Batch, Hidden, Block, Activation;
    public BatchedView Dz, Dh, Preliminary;
}

/// <summary>Forward layer norm and activation of one inner step, one thread per sequence.</summary>
internal struct InnerNormArgs
{
    public int Hidden, Activation, LayerNorm, HasY;
    public float LnEps;
    public ArrayView<float> LnGain, LnBias;
    public BatchedView V, InverseStd, Out, Y;   // V holds v on entry and x̂ on exit
}

/// <summary>Backward of one inner step's activation and layer norm, one thread per sequence.</summary>
internal struct NormBackwardArgs
{
    public int Hidden, Activation, LayerNorm;
    public ArrayView<float> LnGain;
    public BatchedView Dh, Dv, HOut, XHat, InverseStd, Dz, DGain, DBias;
}

/// <summary>
/// The kernels of <see cref="PerStepLaunchRnn"/>: each does one step's worth of one operation for the
/// whole batch, as an unfused framework would launch it. Element-wise kernels give a thread
/// <c>Block</c> consecutive outputs (<see cref="ElementBlocks"/>); the two layer-norm kernels use one
/// thread per sequence (the O(H) row reductions). The arithmetic of each element is written in the
/// same order as in ForwardSweep/ReverseSweep.
/// </summary>
internal static class PerStepKernels
{
    /// <summary>How a layer loads <see cref="MatVec"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, MatVecArgs>> MatVecEntry = AutoGrouped<MatVecArgs>(MatVec);
    /// <summary>How a layer loads <see cref="RankOne"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, RankOneArgs>> RankOneEntry = AutoGrouped<RankOneArgs>(RankOne);
    /// <summary>How a layer loads <see cref="RowCopy"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, RowCopyArgs>> RowCopyEntry = AutoGrouped<RowCopyArgs>(RowCopy);
    /// <summary>How a layer loads <see cref="OutputGrad"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, OutputGradArgs>> OutputGradEntry = AutoGrouped<OutputGradArgs>(OutputGrad);
    /// <summary>How a layer loads <see cref="PreliminaryGrad"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, PreliminaryGradArgs>> PreliminaryGradEntry = AutoGrouped<PreliminaryGradArgs>(PreliminaryGrad);
    /// <summary>How a layer loads <see cref="InnerNorm"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, InnerNormArgs>> InnerNormEntry = AutoGrouped<InnerNormArgs>(InnerNorm);
    /// <summary>How a layer loads <see cref="NormBackward"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, NormBackwardArgs>> NormBackwardEntry = AutoGrouped<NormBackwardArgs>(NormBackward);
    public static void MatVec(Index1D index, MatVecArgs a)
    {
        int H = a.Hidden;
        long end = InputProjection.XMathMin(((long)index.X + 1) * a.Block, (long)a.Batch * H);
        for (long e = (long)index.X * a.Block; e < end; e++)
        {
            int b = (int)(e / H);
            int i = (int)(e - (long)b * H);
            float acc = a.HasAdd != 0 ? a.Add.View[a.Add.At(b, i)] : 0f;
            long m = a.Matrix.At(b, 0), v = a.Vector.At(b, 0);
            if (a.Transpose != 0)
            {
                for (int j = 0; j < H; j++)
                    acc += a.Matrix.View[m + (long)j * H + i] * a.Vector.View[v + j];
            }
            else
            {
                for (int j = 0; j < H; j++)
                    acc += a.Matrix.View[m + (long)i * H + j] * a.Vector.View[v + j];
            }
            a.Out.View[a.Out.At(b, i)] = acc;
            if (a.HasActivated != 0)
                a.Activated.View[a.Activated.At(b, i)] = ActivationMath.Apply(a.Activation, acc);
        }
    }

    public static void RankOne(Index1D index, RankOneArgs a)
    {
        int H = a.Hidden;
        long hh = (long)H * H;
        long end = InputProjection.XMathMin(((long)index.X + 1) * a.Block, a.Batch * hh);
        for (long e = (long)index.X * a.Block; e < end; e++)
        {
            int b = (int)(e / hh);
            long r = e - b * hh;
            int i = (int)(r / H);
            int j = (int)(r - (long)i * H);
            float value = a.Alpha * a.In.View[a.In.At(b, r)];
            if (a.HasOuter != 0)
                value += a.Beta * a.Left.View[a.Left.At(b, i)] * a.Right.View[a.Right.At(b, j)];
            a.Out.View[a.Out.At(b, r)] = value;
        }
    }

    public static void RowCopy(Index1D index, RowCopyArgs a)
    {
        long end = InputProjection.XMathMin(((long)index.X + 1) * a.Block, a.Rows * a.Length);
        for (long e = (long)index.X * a.Block; e < end; e++)
        {
            int r = (int)(e / a.Length);
            long k = e - r * a.Length;
            a.Target.View[a.Target.At(r, k)] = a.HasSource != 0 ? a.Source.View[a.Source.At(r, k)] : 0f;
        }
    }

    public static void OutputGrad(Index1D index, OutputGradArgs a)
    {
        int H = a.Hidden;
        long end = InputProjection.XMathMin(((long)index.X + 1) * a.Block, (long)a.Batch * H);
        for (long e = (long)index.X * a.Block; e < end; e++)
        {
            int b = (int)(e / H);
            int i = (int)(e - (long)b * H);
            long g = a.FastWeightGrad.At(b, 0), h = a.State.At(b, 0);
            float acc = 0f;
            for (int j = 0; j < H; j++)
                acc += (a.FastWeightGrad.View[g + (long)i * H + j] + a.FastWeightGrad.View[g + (long)j * H + i]) * a.State.View[h + j];
            a.Dh.View[a.Dh.At(b, i)] += a.Dy.View[a.Dy.At(b, i)] + a.FastLr * acc;
            a.Dz.View[a.Dz.At(b, i)] = 0f;
        }
    }

    public static void PreliminaryGrad(Index1D index, PreliminaryGradArgs a)
    {
        int H = a.Hidden;
        long end = InputProjection.XMathMin(((long)index.X + 1) * a.Block, (long)a.Batch * H);
        for (long e = (long)index.X * a.Block; e < end; e++)
        {
            int b = (int)(e / H);
            int i = (int)(e - (long)b * H);
            a.Dz.View[a.Dz.At(b, i)] += a.Dh.View[a.Dh.At(b, i)]
                * ActivationMath.DerivativeFromOutput(a.Activation, a.Preliminary.View[a.Preliminary.At(b, i)]);
        }
    }

    /// <summary>μ, two-pass variance, r = 1/sqrt(var + ε), x̂ (in place of v), h = f(g ⊙ x̂ + β); without layer norm μ = 0, r = 1.</summary>
    public static void InnerNorm(Index1D index, InnerNormArgs a)
    {
        int b = index;
        int H = a.Hidden;
        long v = a.V.At(b, 0);
        float mean = 0f, inverseStd = 1f;
        if (a.LayerNorm != 0)
        {
            float sum = 0f;
            for (int i = 0; i < H; i++)
                sum += a.V.View[v + i];
            mean = sum / H;
            sum = 0f;
            for (int i = 0; i < H; i++)
            {
                float d = a.V.View[v + i] - mean;
                sum += d * d;
            }
            float variance = sum / H;
            inverseStd = 1f / XMath.Sqrt(variance + a.LnEps);
        }
        a.InverseStd.View[a.InverseStd.At(b, 0)] = inverseStd;
        for (int i = 0; i < H; i++)
        {
            float xhat = (a.V.View[v + i] - mean) * inverseStd;
            a.V.View[v + i] = xhat;
            float hi = ActivationMath.Apply(a.Activation, a.LayerNorm != 0 ? a.LnGain[i] * xhat + a.LnBias[i] : xhat);
            a.Out.View[a.Out.At(b, i)] = hi;
            if (a.HasY != 0)
                a.Y.View[a.Y.At(b, i)] = hi;
        }
    }

    /// <summary>
    /// dn = dh ⊙ f'(n); dg += dn ⊙ x̂, dβ += dn; dv = r (dx̂ − mean(dx̂) − x̂ mean(dx̂ ⊙ x̂)) with dx̂ = g ⊙ dn
    /// (dv = dn without layer norm); dz_t += dv (docs/design.md §3.2).
    /// </summary>
    public static void NormBackward(Index1D index, NormBackwardArgs a)
    {
        int b = index;
        int H = a.Hidden;
        long dh = a.Dh.At(b, 0), hOut = a.HOut.At(b, 0), xhat = a.XHat.At(b, 0);
        float inverseStd = a.InverseStd.View[a.InverseStd.At(b, 0)];
        float meanDxhat = 0f, meanDxhatXhat = 0f;
        if (a.LayerNorm != 0)
        {
            float sumDxhat = 0f, sumDxhatXhat = 0f;
            for (int i = 0; i < H; i++)
            {
                float dn = a.Dh.View[dh + i] * ActivationMath.DerivativeFromOutput(a.Activation, a.HOut.View[hOut + i]);
                float xi = a.XHat.View[xhat + i];
                a.DGain.View[a.DGain.At(b, i)] += dn * xi;
                a.DBias.View[a.DBias.At(b, i)] += dn;
                float dxi = dn * a.LnGain[i];
                sumDxhat += dxi;
                sumDxhatXhat += dxi * xi;
            }
            meanDxhat = sumDxhat / H;
            meanDxhatXhat = sumDxhatXhat / H;
        }
        for (int i = 0; i < H; i++)
        {
            float dn = a.Dh.View[dh + i] * ActivationMath.DerivativeFromOutput(a.Activation, a.HOut.View[hOut + i]);
            float dvi = a.LayerNorm != 0
                ? inverseStd * (dn * a.LnGain[i] - meanDxhat - a.XHat.View[xhat + i] * meanDxhatXhat)
                : dn;
            a.Dv.View[a.Dv.At(b, i)] = dvi;
            a.Dz.View[a.Dz.At(b, i)] += dvi;
        }
    }
}
