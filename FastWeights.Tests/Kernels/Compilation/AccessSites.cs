using FastWeights.Kernels.Primitives;

namespace FastWeights.Tests.Kernels.Compilation;

/// <summary>
/// Every shared- and global-memory access site of the group kernels, as (H, thread, loop) → float offset. The LSTM and
/// HyperLSTM sites call the kernels' own layout functions (<see cref="RowMajor"/>, <see cref="ColumnMajor"/>), so a
/// layout change in a kernel moves the model with it; the fast-weight RNN and linear-memory sites call the group schedule's
/// (<see cref="SkewedRows"/>, <see cref="WarpRows"/>). The layouts before the change are kept beside them, so the model
/// shows what it flags (docs/gpu.md §3).
/// </summary>
/// <remarks>
/// Offsets are relative to the start of the buffer (sequence 0, step 0; the step bases are multiples of H or 4H and
/// shift a request by whole rows). Shared memory holds the reduction partials [2G] first, then the vectors. The HyperLSTM
/// is modelled at N_h = H, N_z = 4 (the retrieval model's hyper sizes are of that order); its group covers max(H, N_h).
/// </remarks>
internal static class AccessSites
{
    /// <summary>Threads per group the layers launch for <paramref name="rows"/> rows (warp 32, cap 1024).</summary>
    public static int Group(int rows) => KernelLimits.GroupSize(rows, AccessPatternModel.WarpSize, 1024);

    private static long? Own(int thread, int rows, long address) => thread < rows ? address : null;

    private static AccessSite Vector(string kernel, string name, MemorySpace space, Func<int, long> offset) =>
        new(kernel, name, space, h => h, (h, j, _) => Own(j, h, offset(h) + j), _ => 1);

    private static AccessSite Broadcast(string kernel, string name, MemorySpace space, Func<int, long> offset, Func<int, int> length) =>
        new(kernel, name, space, h => h, (h, j, l) => Own(j, h, offset(h) + l), length);

    /// <summary>
    /// The forward's recurrent product <paramref name="product"/> of a gated cell (W_h: gates·H × H): in gate blocks 0
    /// and gates − 1 thread j reads row kH + j through <paramref name="layout"/>, l = 0..H−1; every thread reads all of
    /// h_{t−1} from shared memory.
    /// </summary>
    private static IEnumerable<AccessSite> RecurrentProduct(string kernel, string product, int gates, IMatrixLayout layout)
    {
        foreach (int k in new[] { 0, gates - 1 })
            yield return new(kernel, $"{product}: W_h[r = {k}H + j, l] ({layout.GetType().Name})", MemorySpace.Global, h => h,
                (h, j, l) => Own(j, h, layout.Index(k * h + j, l, gates * h, h)), h => h);
        yield return Broadcast(kernel, $"{product}: h_{{t−1}}[l]", MemorySpace.Shared, h => 2 * Group(h), h => h);
    }

    /// <summary>
    /// The reverse's product <paramref name="product"/> (dh from W_hᵀ and the gate gradient <paramref name="gradient"/>):
    /// thread j reads column j of the row-major W_h, all gates·H rows r, and every thread reads all of the gradient.
    /// </summary>
    private static IEnumerable<AccessSite> RecurrentProductBackward(string kernel, string product, string gradient, int gates)
    {
        yield return new(kernel, $"{product}: W_h[r, j] (RowMajor)", MemorySpace.Global, h => h,
            (h, j, r) => Own(j, h, new RowMajor().Index(r, j, gates * h, h)), h => gates * h);
        yield return Broadcast(kernel, $"{product}: {gradient}[r]", MemorySpace.Global, _ => 0, h => gates * h);
    }

    /// <summary>The reduction of <c>GroupSchedule.Sum</c>: each thread writes its slot, then every thread reads all slots in order.</summary>
    private static IEnumerable<AccessSite> Sums(string kernel)
    {
        yield return Vector(kernel, "Sum: partial write partials[slot·G + t]", MemorySpace.Shared, _ => 0);
        yield return new(kernel, "Sum: partials read partials[slot·G + k], k = 0..G−1", MemorySpace.Shared, h => h,
            (h, j, k) => Own(j, h, k), Group);
    }

    // ---------------- LN-LSTM (FastWeights.Kernels/Lstm) ----------------

    /// <summary>A per-unit access of a sweep: thread j touches element offset(H) + j of <c>Space</c>.</summary>
    private readonly record struct UnitAccess(string Name, MemorySpace Space, Func<int, long> Offset);

    /// <summary>
    /// The group sweeps of a gated cell (<paramref name="cell"/>ForwardSweep/ReverseSweep), in order: the forward's
    /// recurrent product, its per-unit accesses, its sums; then the reverse's product with the gate gradient, its per-unit
    /// accesses, its sums.
    /// </summary>
    private static IEnumerable<AccessSite> GatedCell(string cell, int gates, IMatrixLayout forwardLayout, string product, UnitAccess[] forward,
        string reverseProduct, string gradient, UnitAccess[] reverse)
    {
        string F = cell + "ForwardSweep.GroupKernel", R = cell + "ReverseSweep.GroupKernel";
        foreach (var s in RecurrentProduct(F, product, gates, forwardLayout)) yield return s;
        foreach (var a in forward) yield return Vector(F, a.Name, a.Space, a.Offset);
        foreach (var s in Sums(F)) yield return s;

        foreach (var s in RecurrentProductBackward(R, reverseProduct, gradient, gates)) yield return s;
        foreach (var a in reverse) yield return Vector(R, a.Name, a.Space, a.Offset);
        foreach (var s in Sums(R)) yield return s;
    }

    /// <summary>The LSTM group sweeps; <paramref name="forwardLayout"/> is how the forward reads W_h (ColumnMajor now, RowMajor before).</summary>
    public static IEnumerable<AccessSite> Lstm(IMatrixLayout forwardLayout) => GatedCell("Lstm", 4, forwardLayout, "u = W_h h",
        [
            new("projection[kH + j], pre/â[kH + j] (gate rows, k fixed)", MemorySpace.Global, h => 3 * h),
            new("γ, β [kH + j]; γ_c, β_c, c, ĉ, y, h tape [j]", MemorySpace.Global, _ => 0),
            new("h_t[j] write", MemorySpace.Shared, h => 2 * Group(h) + h),
        ],
        "dh = W_hᵀ da", "da",
        [
            new("dh[j], dc[j]", MemorySpace.Shared, h => 2 * Group(h)),
            new("da, â, dγ, dβ [kH + j]; dy, c, ĉ [j]", MemorySpace.Global, h => 2 * h),
        ]);

    // ---------------- LN-GRU (FastWeights.Kernels/Gru) ----------------

    /// <summary>The GRU group sweeps; <paramref name="forwardLayout"/> is how the forward reads W_h (ColumnMajor: the layer's copy).</summary>
    public static IEnumerable<AccessSite> Gru(IMatrixLayout forwardLayout) => GatedCell("Gru", 3, forwardLayout, "q = W_h h",
        [
            new("p, p̂, q/q̂ [kH + j] (rows of block k, k fixed)", MemorySpace.Global, h => 2 * h),
            new("γ_x, β_x, γ_h, β_h [kH + j]; y, h tape [j]", MemorySpace.Global, _ => 0),
            new("h_{t−1}[j] read (u ⊙ h_{t−1})", MemorySpace.Shared, h => 2 * Group(h)),
            new("h_t[j] write", MemorySpace.Shared, h => 2 * Group(h) + h),
        ],
        "dh += W_hᵀ dq", "dq",
        [
            new("dh[j]", MemorySpace.Shared, h => 2 * Group(h)),
            new("dp, dq, p̂, q̂, γ, β, dγ, dβ [kH + j]; dy, h tape [j]", MemorySpace.Global, h => 2 * h),
        ]);

    // ---------------- HyperLSTM (FastWeights.Kernels/HyperLstm) ----------------

    /// <summary>Embedding size N_z of the model.</summary>
    public const int Z = 4;

    /// <summary>The HyperLSTM group sweeps at N_h = H; <paramref name="forwardLayout"/> is how the forward reads its five matrices.</summary>
    public static IEnumerable<AccessSite> HyperLstm(IMatrixLayout forwardLayout)
    {
        const string F = "HyperLstmForwardSweep.GroupKernel", R = "HyperLstmReverseSweep.GroupKernel";
        string name = forwardLayout.GetType().Name;
        yield return new(F, $"Ŵ_h ĥ: Ŵ_h[kN + j, l] ({name})", MemorySpace.Global, h => h,
            (h, j, l) => Own(j, h, forwardLayout.Index(3 * h + j, l, 4 * h, h)), h => h);
        yield return new(F, $"Ŵ_hm h: Ŵ_hm[kN + j, l] ({name})", MemorySpace.Global, h => h,
            (h, j, l) => Own(j, h, forwardLayout.Index(3 * h + j, l, 4 * h, h)), h => h);
        yield return new(F, $"z = W_z ĥ: W_z[m, l] ({name})", MemorySpace.Global, _ => 12 * Z,
            (h, m, l) => Own(m, 12 * Z, forwardLayout.Index(m, l, 12 * Z, h)), h => h);
        yield return new(F, $"u = W_h h: W_h[kH + j, l] ({name})", MemorySpace.Global, h => h,
            (h, j, l) => Own(j, h, forwardLayout.Index(h + j, l, 4 * h, h)), h => h);
        yield return new(F, $"d = W_d z: W_d[τ4H + kH + j, m] ({name})", MemorySpace.Global, h => h,
            (h, j, m) => Own(j, h, forwardLayout.Index(2 * 4 * h + 3 * h + j, m, 12 * h, Z)), _ => Z);
        yield return Broadcast(F, "d = W_d z: z[(τ4 + k)N_z + m]", MemorySpace.Global, _ => 11 * Z, _ => Z);
        yield return Broadcast(F, "h_{t−1}[l], ĥ_{t−1}[l], ĥ_t[l]", MemorySpace.Shared, h => 2 * Group(h), h => h);
        yield return Vector(F, "h_t[j], ĥ_t[j] writes", MemorySpace.Shared, h => 2 * Group(h) + 3 * h);
        yield return Vector(F, "gate rows [kH + j] (projections, u, d, pre/â, γ, β); tape [j]", MemorySpace.Global, h => 5 * h);
        foreach (var s in Sums(F)) yield return s;

        yield return new(R, "dz = W_dᵀ dd: W_d[(m/N_z)H + l, m mod N_z] (RowMajor)", MemorySpace.Global, _ => 12 * Z,
            (h, m, l) => Own(m, 12 * Z, new RowMajor().Index(m / Z * h + l, m % Z, 12 * h, Z)), h => h);
        yield return new(R, "dz = W_dᵀ dd: dd[(m/N_z)H + l]", MemorySpace.Global, _ => 12 * Z,
            (h, m, l) => Own(m, 12 * Z, m / Z * (long)h + l), h => h);
        yield return new(R, "dĥ += W_zᵀ dz: W_z[m, j] (RowMajor)", MemorySpace.Global, h => h,
            (h, j, m) => Own(j, h, new RowMajor().Index(m, j, 12 * Z, h)), _ => 12 * Z);
        yield return new(R, "dh = W_hᵀ du: W_h[r, j] (RowMajor)", MemorySpace.Global, h => h,
            (h, j, r) => Own(j, h, new RowMajor().Index(r, j, 4 * h, h)), h => 4 * h);
        yield return new(R, "dh += Ŵ_hmᵀ da': Ŵ_hm[r, j] (RowMajor)", MemorySpace.Global, h => h,
            (h, j, r) => Own(j, h, new RowMajor().Index(r, j, 4 * h, h)), h => 4 * h);
        yield return new(R, "dĥ = Ŵ_hᵀ da': Ŵ_h[r, j] (RowMajor)", MemorySpace.Global, h => h,
            (h, j, r) => Own(j, h, new RowMajor().Index(r, j, 4 * h, h)), h => 4 * h);
        yield return Broadcast(R, "du[r], da'[r], dz[m]", MemorySpace.Global, _ => 0, h => 4 * h);
        yield return Vector(R, "gate rows [kH + j] (da, du, dv, dd, â, γ, β); tape [j]", MemorySpace.Global, h => 7 * h);
        yield return Vector(R, "dh[j], dc[j], dĥ[j], dĉ[j]", MemorySpace.Shared, h => 2 * Group(h) + h);
        foreach (var s in Sums(R)) yield return s;
    }

    // ---------------- Fast-weight RNN (FastWeights.Kernels/FastWeightRnn: GroupSchedule, SkewedRows, WarpRows) ----------------

    private const int Lanes = AccessPatternModel.WarpSize;

    /// <summary>Own rows, skewed columns (<see cref="SkewedRows"/>): loop position l = chunk·32 + step.</summary>
    private static long? Skewed(int h, int thread, int loop, Func<int, int, long> address)
    {
        if (thread >= h) return null;
        int j = SkewedRows.Column(loop / SkewedRows.Banks, thread % Lanes, loop % SkewedRows.Banks, h);
        return j < h ? address(thread, j) : null;
    }

    private static int SkewedLoops(int h) => (h + SkewedRows.Banks - 1) / SkewedRows.Banks * SkewedRows.Banks;

    /// <summary>A warp per row (<see cref="WarpRows"/>): loop position l = (block·32 + r)·chunks + chunk.</summary>
    private static long? Cooperative(int h, int thread, int loop, Func<int, int, long> address)
    {
        int g = Group(h), chunks = (h + Lanes - 1) / Lanes;
        int chunk = loop % chunks, rowStep = loop / chunks, block = rowStep / Lanes, r = rowStep % Lanes;
        int i = WarpRows.Row(block, thread / Lanes, r, Lanes, g), j = WarpRows.Column(chunk, thread % Lanes, Lanes);
        return i < h && j < h ? address(i, j) : null;
    }

    private static int CooperativeLoops(int h) => (h + Group(h) - 1) / Group(h) * Lanes * ((h + Lanes - 1) / Lanes);

    /// <summary>Element by element, lanes on consecutive elements (<see cref="SkewedRows.Elements"/>): loop position l.</summary>
    private static long? Elements(int h, int thread, int loop)
    {
        long e = thread + (long)loop * Group(h);
        return e < (long)h * h ? e : null;
    }

    /// <summary>
    /// The fast-weight RNN's group sweeps as they index memory now: on chip (A, Ā in shared memory) each thread walks its
    /// own rows in the skewed column order; off chip (global memory) the owner's warp walks each row; column reads
    /// (Āᵀh, Aᵀdv, Wᵀdz and the forward's z = W h from W's column-major copy) have lanes over rows; copies between chip
    /// and global memory go element by element.
    /// </summary>
    public static IEnumerable<AccessSite> FastWeightRnn()
    {
        const string F = "ForwardSweep.GroupKernel", R = "ReverseSweep.GroupKernel";
        foreach (var kernel in new[] { F, R })
        {
            string rows = kernel == F ? "A h, A = λA + η h hᵀ" : "Āh, Ā = λĀ, Ā += dv hᵀ, A rebuild";
            yield return new(kernel, $"{rows}: own rows, skewed (on chip)", MemorySpace.Shared, h => h,
                (h, t, l) => Skewed(h, t, l, (i, j) => (long)i * h + j), SkewedLoops);
            yield return new(kernel, $"{rows}: the vector v[j] (on chip)", MemorySpace.Shared, h => h,
                (h, t, l) => Skewed(h, t, l, (_, j) => j), SkewedLoops);
            yield return new(kernel, $"{rows}: a warp per row (global)", MemorySpace.Global, Group,
                (h, t, l) => Cooperative(h, t, l, (i, j) => (long)i * h + j), CooperativeLoops);
            yield return new(kernel, "A0, checkpoints, A_T copies: elements (on chip and global)", MemorySpace.Shared, Group,
                (h, t, l) => Elements(h, t, l), h => (h * h + Group(h) - 1) / Group(h));
            yield return new(kernel, "A0, checkpoints, A_T copies: elements (global side)", MemorySpace.Global, Group,
                (h, t, l) => Elements(h, t, l), h => (h * h + Group(h) - 1) / Group(h));
        }
        foreach (var space in new[] { MemorySpace.Shared, MemorySpace.Global })
            yield return new(R, $"Āᵀh, Aᵀdv: columns M[j·H + i] ({space})", space, h => h,
                (h, i, j) => Own(i, h, (long)j * h + i), h => h);
        yield return new(F, "z = W h: column-major copy Wᵀ[j·H + i] (global)", MemorySpace.Global, h => h,
            (h, i, j) => Own(i, h, new ColumnMajor().Index(i, j, h, h)), h => h);
        yield return new(R, "Wᵀ dz: W[j·H + i] (row-major, global)", MemorySpace.Global, h => h,
            (h, i, j) => Own(i, h, new RowMajor().Index(j, i, h, h)), h => h);
    }

    /// <summary>
    /// The fast-weight RNN's layout before (one thread per row, every row read along its columns in index order, stride
    /// <paramref name="stride"/>): what the model flags.
    /// </summary>
    public static IEnumerable<AccessSite> FastWeightRnnBefore(Func<int, int> stride, string layout)
    {
        const string F = "ForwardSweep.GroupKernel (before)", R = "ReverseSweep.GroupKernel (before)";
        foreach (var space in new[] { MemorySpace.Shared, MemorySpace.Global })
        {
            string where = space == MemorySpace.Shared ? "on chip" : "in global memory";
            yield return new(F, $"A h: A[i·{layout} + j] ({where}; also the update A = λA + η h hᵀ)", space, h => h,
                (h, i, j) => Own(i, h, (long)i * stride(h) + j), h => h);
            yield return new(R, $"(Ā + Āᵀ) h: Ā[i·{layout} + j] ({where}; also the Ā and A rebuild updates)", space, h => h,
                (h, i, j) => Own(i, h, (long)i * stride(h) + j), h => h);
        }
        yield return new(F, "z = W h: W[i·H + j] (row-major, global)", MemorySpace.Global, h => h,
            (h, i, j) => Own(i, h, (long)i * h + j), h => h);
    }

    // ---------------- Linear fast-weight memory (LinearForwardSweep.cs / LinearReverseSweep.cs) ----------------

    /// <summary>
    /// The linear memory's W [m, d'] and G (and the compensation terms, anchors, W0/W_T copies), global memory, row-major,
    /// as the sweeps walk them now: row phases a warp per row (lanes over columns), the reverse's column phase (C) lanes
    /// over columns looping over rows. Modelled at m = d' = H.
    /// </summary>
    public static IEnumerable<AccessSite> Linear()
    {
        foreach (string kernel in new[] { "LinearForwardSweep.GroupKernel", "LinearReverseSweep.GroupKernel" })
            yield return new(kernel, "row phases: W·φ, W update, G update, du (a warp per row)", MemorySpace.Global, Group,
                (h, t, l) => Cooperative(h, t, l, (i, j) => (long)i * h + j), CooperativeLoops);
        yield return new("LinearReverseSweep.GroupKernel", "(C) columns: Wᵀdȳ, Gᵀu, W and G stepped back (lanes over j)",
            MemorySpace.Global, h => h, (h, j, i) => Own(j, h, (long)i * h + j), h => h);
    }

    /// <summary>The linear memory's row phases before: one thread per row walking it (what the model flags).</summary>
    public static IEnumerable<AccessSite> LinearBefore()
    {
        foreach (string kernel in new[] { "LinearForwardSweep.GroupKernel (before)", "LinearReverseSweep.GroupKernel (before)" })
            yield return new(kernel, "W·φ, W update (and G): W[i, j], thread i on row i (row-major)", MemorySpace.Global, h => h,
                (h, i, j) => Own(i, h, (long)i * h + j), h => h);
    }
}
