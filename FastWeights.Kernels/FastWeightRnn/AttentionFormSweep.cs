using FastWeights.Kernels.Host;
using FastWeights.Kernels.Primitives;
using ILGPU.Algorithms;

namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>Everything the attention-form forward reads and writes.</summary>
internal struct AttentionForwardArgs
{
    public int Batch, Time, Hidden, InnerSteps, Activation;
    public int HasH0, HasA0, LayerNorm;
    public float Decay, FastLr, LnEps;

    public ArrayView<float> Projection;                 // [B,T,H] u_t = C x_t + b
    public ArrayView<float> W, LnGain, LnBias;          // [H,H], [H], [H]
    public ArrayView<float> H0, A0;                     // [B,H], [B,H,H]; read only when Has* = 1
    public ArrayView<float> A0Copy;                     // [B,H,H] workspace copy of A0, used from then on
    public ArrayView<float> Y, HT, AT;                  // [B,T,H], [B,H], [B,H,H]
    public ArrayView<float> States;                     // [B,T+1,H]
    public ArrayView<float> InnerStates, Normalized;    // [B,T,S,H]
    public ArrayView<float> InverseStd;                 // [B,T,S]
    public ArrayView<float> Vectors;                    // [B,3,H] scratch
}

/// <summary>Everything the attention-form reverse sweep reads and writes: the forward's set, extended by the gradients.</summary>
internal struct AttentionReverseArgs
{
    // Read: the sizes and options, HasA0, W, g, the forward's copy of A0 (A0Copy, read only when HasA0 = 1), its tape
    // and the Vectors scratch. Not read: the forward's inputs and outputs.
    public AttentionForwardArgs Forward;
    public int HasDhT, HasDAT, HasDh0, HasDA0;

    public ArrayView<float> Dy, DhT, DAT;               // [B,T,H], [B,H], [B,H,H]
    public ArrayView<float> Dz;                         // [B,T,H] out: dz per step
    public ArrayView<float> HistoryGrad;                // [B,T,H] scratch: gradient reaching h_τ from later steps' A(t)
    public ArrayView<float> LayerNormGrad;              // [B,2,H] out: per-sequence Σ dn ⊙ x̂ and Σ dn
    public ArrayView<float> DH0, DA0;                   // [B,H], [B,H,H] out, written when Has* = 1
}

/// <summary>
/// The layer with A never formed (docs/baselines.md §2): every product A(t) v is evaluated as
/// λ^t (A0 v) + η Σ_{τ&lt;t} λ^{t−1−τ} h_τ (h_τ · v) over the stored outer states, so no H×H matrix is
/// kept; AT is formed once at the end. One thread per sequence runs the whole forward or reverse. The bodies are
/// generic over the vector loops (<see cref="IVectorMath"/>): the ILGPU kernels use <see cref="ScalarVectorMath"/>,
/// the host kernels (<see cref="HostExecution"/>) <see cref="HostVectorMath"/>.
/// </summary>
internal static class AttentionFormSweep
{
    /// <summary>How a layer loads <see cref="ForwardKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, AttentionForwardArgs>> ForwardEntry = AutoGrouped<AttentionForwardArgs>(ForwardKernel, ForwardHostKernel);
    /// <summary>How a layer loads <see cref="ReverseKernel"/> (once per accelerator; docs/gpu.md §1).</summary>
    public static readonly KernelEntry<Action<AcceleratorStream, Index1D, AttentionReverseArgs>> ReverseEntry = AutoGrouped<AttentionReverseArgs>(ReverseKernel, ReverseHostKernel);
    /// <summary>The forward of one sequence (index = sequence), as ILGPU compiles it.</summary>
    public static void ForwardKernel(Index1D index, AttentionForwardArgs a) => Forward(default(ScalarVectorMath), index, a);

    /// <summary>The forward of one sequence with SIMD vector loops, for host execution only.</summary>
    public static void ForwardHostKernel(Index1D index, AttentionForwardArgs a) => Forward(default(HostVectorMath), index, a);

    /// <summary>The reverse of one sequence (index = sequence), as ILGPU compiles it.</summary>
    public static void ReverseKernel(Index1D index, AttentionReverseArgs a) => Reverse(default(ScalarVectorMath), index, a);

    /// <summary>The reverse of one sequence with SIMD vector loops, for host execution only.</summary>
    public static void ReverseHostKernel(Index1D index, AttentionReverseArgs a) => Reverse(default(HostVectorMath), index, a);

    /// <summary>
    /// target[i] = Σ_j m[mOffset + j·n + i]·v[vOffset + j] (mᵀv), as one row update per j: contiguous runs for SIMD, and
    /// per element the same order of additions (j ascending) as a column dot product.
    /// </summary>
    // Host execution calls this directly: optimise at the first call (no tier-0 code), since a benchmark or a short
    // job would otherwise time unoptimised loops (measured 3-4x slower in a 4-call run). ILGPU ignores the flag.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyTransposed<TMath>(TMath math, ArrayView<float> target, long targetOffset,
        ArrayView<float> m, long mOffset, ArrayView<float> v, long vOffset, int n)
        where TMath : struct, IVectorMath
    {
        math.Fill(target, targetOffset, 0f, n);
        for (int j = 0; j < n; j++)
            math.Axpy(target, targetOffset, v[vOffset + j], m, mOffset + (long)j * n, n);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Forward<TMath>(TMath math, int q, AttentionForwardArgs a)
        where TMath : struct, IVectorMath
    {
        int H = a.Hidden, T = a.Time, S = a.InnerSteps;
        long hh = (long)H * H;
        var vectors = a.Vectors.SubView((long)q * 3 * H, 3 * H);
        var hCur = vectors.SubView(0, H);
        var hNext = vectors.SubView(H, H);
        var z = vectors.SubView(2 * H, H);
        long stateBase = (long)q * (T + 1) * H;

        // State in. A0 is copied first: aT may alias a0, and the backward needs A0 after aT is written.
        for (int i = 0; i < H; i++)
        {
            float hi = a.HasH0 != 0 ? a.H0[(long)q * H + i] : 0f;
            hCur[i] = hi;
            a.States[stateBase + i] = hi;
            if (a.HasA0 != 0)
                math.Copy(a.A0Copy, q * hh + (long)i * H, a.A0, q * hh + (long)i * H, H);
        }
        var a0 = a.A0Copy.SubView(q * hh, hh);

        float decayPow = 1f;   // λ^t
        for (int t = 0; t < T; t++)
        {
            long stepBase = ((long)q * T + t) * H;
            long innerBase = ((long)q * T + t) * S;

            // z = W h + u_t ; h_0 = f(z)
            for (int i = 0; i < H; i++)
            {
                float zi = a.Projection[stepBase + i] + math.Dot(a.W, (long)i * H, hCur, 0, H);
                z[i] = zi;
                float h0i = ActivationMath.Apply(a.Activation, zi);
                hNext[i] = h0i;
                a.InnerStates[innerBase * H + i] = h0i;
            }
            var swap = hCur; hCur = hNext; hNext = swap;

            for (int s = 0; s < S; s++)
            {
                long inner = innerBase + s;
                var v = a.Normalized.SubView(inner * H, H);

                // v = z + λ^t A0 h_s
                for (int i = 0; i < H; i++)
                    v[i] = a.HasA0 != 0 ? z[i] + decayPow * math.Dot(a0, (long)i * H, hCur, 0, H) : z[i];
                // v += η Σ_{τ<t} λ^{t−1−τ} h_τ (h_τ · h_s), newest τ first
                float coefficient = a.FastLr;
                for (int tau = t - 1; tau >= 0; tau--)
                {
                    long past = stateBase + (long)(tau + 1) * H;
                    float weight = coefficient * math.Dot(a.States, past, hCur, 0, H);
                    math.Axpy(a.Normalized, inner * H, weight, a.States, past, H);
                    coefficient *= a.Decay;
                }

                float mean = 0f, inverseStd = 1f;
                if (a.LayerNorm != 0)
                {
                    float sum = 0f;
                    for (int i = 0; i < H; i++)
                        sum += v[i];
                    mean = sum / H;
                    sum = 0f;
                    for (int i = 0; i < H; i++)
                    {
                        float d = v[i] - mean;
                        sum += d * d;
                    }
                    float variance = sum / H;
                    inverseStd = 1f / XMath.Sqrt(variance + a.LnEps);
                }
                a.InverseStd[inner] = inverseStd;
                InnerLayerNorm.Apply(0, 1, H, v, hNext, mean, inverseStd, a.Activation, a.LayerNorm, a.LnGain, a.LnBias,
                    s + 1 < S, a.InnerStates, (inner + 1) * H);
                swap = hCur; hCur = hNext; hNext = swap;
            }

            long nextState = stateBase + (long)(t + 1) * H;
            for (int i = 0; i < H; i++)
            {
                a.Y[stepBase + i] = hCur[i];
                a.States[nextState + i] = hCur[i];
            }
            decayPow *= a.Decay;
        }

        // AT = λ^T A0 + η Σ_τ λ^{T−1−τ} h_τ h_τᵀ, formed once (from the copy of A0), a row at a time, newest τ first.
        for (int i = 0; i < H; i++)
        {
            long row = q * hh + (long)i * H;
            if (a.HasA0 != 0)
            {
                math.Copy(a.AT, row, a0, (long)i * H, H);
                math.Scale(a.AT, row, decayPow, H);
            }
            else
                math.Fill(a.AT, row, 0f, H);
            float coefficient = a.FastLr;
            for (int tau = T - 1; tau >= 0; tau--)
            {
                long past = stateBase + (long)(tau + 1) * H;
                math.Axpy(a.AT, row, coefficient * a.States[past + i], a.States, past, H);
                coefficient *= a.Decay;
            }
            a.HT[(long)q * H + i] = hCur[i];
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Reverse<TMath>(TMath math, int q, AttentionReverseArgs a)
        where TMath : struct, IVectorMath
    {
        int H = a.Forward.Hidden, T = a.Forward.Time, S = a.Forward.InnerSteps;
        long hh = (long)H * H;
        float decay = a.Forward.Decay, fastLr = a.Forward.FastLr;
        var vectors = a.Forward.Vectors.SubView((long)q * 3 * H, 3 * H);
        var dh = vectors.SubView(0, H);
        var dv = vectors.SubView(H, H);
        var dhNext = vectors.SubView(2 * H, H);
        long stateBase = (long)q * (T + 1) * H;
        long historyBase = (long)q * T * H;
        var dGain = a.LayerNormGrad.SubView((long)q * 2 * H, H);
        var dBias = a.LayerNormGrad.SubView((long)q * 2 * H + H, H);

        // Through AT = λ^T A0 + η Σ_τ λ^{T−1−τ} h_τ h_τᵀ: dh_τ = η λ^{T−1−τ} (dAT + dATᵀ) h_τ, dA0 = λ^T dAT.
        float coefficient = fastLr;
        for (int tau = T - 1; tau >= 0; tau--)
        {
            long past = stateBase + (long)(tau + 1) * H;
            long history = historyBase + (long)tau * H;
            if (a.HasDAT != 0)
            {
                MultiplyTransposed(math, a.HistoryGrad, history, a.DAT, q * hh, a.Forward.States, past, H);
                for (int i = 0; i < H; i++)
                    a.HistoryGrad[history + i] = coefficient * (math.Dot(a.DAT, q * hh + (long)i * H, a.Forward.States, past, H) + a.HistoryGrad[history + i]);
            }
            else
                math.Fill(a.HistoryGrad, history, 0f, H);
            coefficient *= decay;
        }
        float decayT = 1f;
        for (int t = 0; t < T; t++)
            decayT *= decay;
        if (a.HasDA0 != 0)
        {
            for (int i = 0; i < H; i++)
            {
                long row = q * hh + (long)i * H;
                if (a.HasDAT != 0)
                {
                    math.Copy(a.DA0, row, a.DAT, row, H);
                    math.Scale(a.DA0, row, decayT, H);
                }
                else
                    math.Fill(a.DA0, row, 0f, H);
            }
        }
        for (int i = 0; i < H; i++)
        {
            dh[i] = a.HasDhT != 0 ? a.DhT[(long)q * H + i] : 0f;
            dGain[i] = 0f;
            dBias[i] = 0f;
        }

        for (int t = T - 1; t >= 0; t--)
        {
            long stepBase = ((long)q * T + t) * H;
            long innerBase = ((long)q * T + t) * S;
            var ht = a.Forward.States.SubView(stateBase + (long)(t + 1) * H, H);
            float decayPow = 1f;   // λ^t
            for (int k = 0; k < t; k++)
                decayPow *= decay;

            // dh_t = (Wᵀ dz_{t+1} or dhT) + dy_t + (what later steps' A(t') and AT sent back to h_t).
            for (int i = 0; i < H; i++)
            {
                dh[i] += a.Dy[stepBase + i] + a.HistoryGrad[historyBase + (long)t * H + i];
                a.Dz[stepBase + i] = 0f;
            }

            for (int s = S - 1; s >= 0; s--)
            {
                long inner = innerBase + s;
                var hOut = s + 1 < S ? a.Forward.InnerStates.SubView((inner + 1) * H, H) : ht;
                var xhat = a.Forward.Normalized.SubView(inner * H, H);
                float inverseStd = a.Forward.InverseStd[inner];

                // Activation and layer norm, as in the fused reverse sweep (one thread: its sums are the whole sums).
                InnerLayerNorm.Backward(new ThreadSchedule(), 0, 0, 1, H, a.Forward.LayerNorm, a.Forward.Activation, dh, hOut, xhat,
                    inverseStd, a.Forward.LnGain, dGain, dBias, dv, a.Dz, stepBase);

                // v = z + λ^t A0 h_s + η Σ_{τ<t} λ^{t−1−τ} h_τ (h_τ · h_s):
                //   dh_s  = λ^t A0ᵀ dv + η Σ_τ λ^{t−1−τ} h_τ (h_τ · dv)
                //   dA0  += λ^t dv h_sᵀ
                //   dh_τ += η λ^{t−1−τ} ((h_τ · h_s) dv + (h_τ · dv) h_s)
                if (a.Forward.HasA0 != 0)
                {
                    MultiplyTransposed(math, dhNext, 0, a.Forward.A0Copy, q * hh, dv, 0, H);
                    math.Scale(dhNext, 0, decayPow, H);
                }
                else
                    math.Fill(dhNext, 0, 0f, H);
                if (a.HasDA0 != 0)
                    for (int i = 0; i < H; i++)
                        math.Axpy(a.DA0, q * hh + (long)i * H, decayPow * dv[i], a.Forward.InnerStates, inner * H, H);
                coefficient = fastLr;
                for (int tau = t - 1; tau >= 0; tau--)
                {
                    long past = stateBase + (long)(tau + 1) * H;
                    long history = historyBase + (long)tau * H;
                    float weightDv = coefficient * math.Dot(a.Forward.States, past, dv, 0, H);
                    float weightH = coefficient * math.Dot(a.Forward.States, past, a.Forward.InnerStates, inner * H, H);
                    math.Axpy(dhNext, 0, weightDv, a.Forward.States, past, H);
                    math.Axpy(a.HistoryGrad, history, weightH, dv, 0, H);
                    math.Axpy(a.HistoryGrad, history, weightDv, a.Forward.InnerStates, inner * H, H);
                    coefficient *= decay;
                }
                var swap = dh; dh = dhNext; dhNext = swap;
            }

            // h_0 = f(z): dz += dh_0 ⊙ f'(z); then dh_{t−1} = Wᵀ dz_t (the "later steps" part of the next iteration).
            var preliminary = a.Forward.InnerStates.SubView(innerBase * H, H);
            for (int i = 0; i < H; i++)
                a.Dz[stepBase + i] += dh[i] * ActivationMath.DerivativeFromOutput(a.Forward.Activation, preliminary[i]);
            MultiplyTransposed(math, dh, 0, a.Forward.W, 0, a.Dz, stepBase, H);
        }

        if (a.HasDh0 != 0)
            for (int i = 0; i < H; i++)
                a.DH0[(long)q * H + i] = dh[i];
    }
}
