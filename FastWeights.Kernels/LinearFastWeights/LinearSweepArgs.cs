namespace FastWeights.Kernels.LinearFastWeights;

/// <summary>
/// Everything the forward and reverse sweeps read and write, passed by value to the kernels. Layouts are
/// row-major with s = b·heads + h the (sequence, head) index the kernels run over. Views that a call does not
/// use are set to a valid workspace view (never read) so that the struct never holds an invalid view.
/// </summary>
internal struct LinearSweepArgs
{
    public int Batch, Time, Heads, KeySize, ValueSize, FeatureSize;
    public int Map, Delta, Normalize, KeepsZ, StoreAll, Compensate;
    public int AnchorSlots;                      // stored copies of W per (sequence, head) (LinearWorkspacePlan.AnchorSlots)
    public int HasW0, HasZ0, HasZT, HasDwT, HasDzT, HasDw0, HasDz0;
    public float Epsilon;

    public ArrayView<float> Q, K, V, Beta;       // [B,T,heads,d], [B,T,heads,d], [B,T,heads,m], [B,T,heads]
    public ArrayView<float> W0, Z0;              // [B,heads,m,d'], [B,heads,d']; read when Has* = 1
    public ArrayView<float> Y, WT, ZT;           // forward outputs [B,T,heads,m], [B,heads,m,d'], [B,heads,d']
    public ArrayView<float> Dy, DwT, DzT;        // backward inputs, shapes of y, WT, zT
    public ArrayView<float> Dq, Dk, Dv, DBeta;   // backward outputs, shapes of q, k, v, β
    public ArrayView<float> Dw0, Dz0;            // backward outputs, shapes of W0, z0

    public ArrayView<float> FinalW, FinalZ;      // [B·heads,m,d'], [B·heads,d']: the forward's state, W_T and z_T kept for the backward
    public ArrayView<float> FinalWLoss, FinalZLoss; // shapes of FinalW, FinalZ: what rounding still owes them (compensated sums, value = W − loss)
    public ArrayView<float> VBar;                // [B,T,heads,m] tape (delta rule): v̄_t = W_{t−1} φ̃(k_t)
    public ArrayView<float> Outputs, Den;        // [B,T,heads,m], [B,T,heads] tape (normalised sum rule): y_t and zᵀφ(q_t) + ε
    public ArrayView<float> History;             // [B·heads,T,m,d'] store-all baseline only: W before every step
    public ArrayView<float> Rebuild, Grad;       // [B·heads,m,d']: W_t rebuilt backwards, and dL/dW_t
    public ArrayView<float> RebuildZ, GradZ;     // [B·heads,d']: z_t rebuilt backwards, and dL/dz_t
    public ArrayView<float> RebuildLoss, RebuildZLoss; // shapes of Rebuild, RebuildZ: their compensation terms
    public ArrayView<float> Counts;              // [B·heads,d'] backward: steps ≤ t whose φ(k)_j ≠ 0, per column j (integers, exact in float up to 2²⁴)
    public ArrayView<float> Anchors;             // [B·heads,slots,m,d'] W before the anchored steps (compensated value rounded once)
    public ArrayView<float> AnchorSteps;         // [B·heads,slots] the anchored steps t (W before step t is stored), ascending
    public ArrayView<float> Status;              // [B·heads,2] forward: anchors needed (may exceed slots), 1 if W or y was not finite
    public ArrayView<float> Vectors;             // [B·heads, 4d' + 3m] thread-schedule scratch
}
