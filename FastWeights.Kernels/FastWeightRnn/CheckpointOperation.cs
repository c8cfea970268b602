namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>What one step of a <see cref="CheckpointPlan"/> does.</summary>
public enum CheckpointOperationKind
{
    /// <summary>
    /// Recompute A(<see cref="CheckpointOperation.ToAnchor"/>·K) from the copy of A(<see cref="CheckpointOperation.FromAnchor"/>·K)
    /// held in slot <see cref="CheckpointOperation.SourceSlot"/>, by replaying the writes A ← λA + η h hᵀ of the
    /// steps in between (h read from the forward's tape), into slot <see cref="CheckpointOperation.TargetSlot"/>.
    /// </summary>
    Replay,

    /// <summary>
    /// Run the reverse sweep over the K-step interval that starts at anchor <see cref="CheckpointOperation.FromAnchor"/>
    /// (steps FromAnchor·K … min((FromAnchor+1)·K, T) − 1), re-anchoring A on slot <see cref="CheckpointOperation.SourceSlot"/>.
    /// </summary>
    Window,
}

/// <summary>One step of a <see cref="CheckpointPlan"/>, executed by the backward in list order.</summary>
/// <param name="Kind">Replay or reverse window.</param>
/// <param name="FromAnchor">Replay: the anchor index (a multiple of K in steps) copied from. Window: the interval's anchor index.</param>
/// <param name="ToAnchor">Replay: the anchor index reached. Window: equal to <paramref name="FromAnchor"/>.</param>
/// <param name="SourceSlot">The slot read: it holds A(FromAnchor·K).</param>
/// <param name="TargetSlot">Replay: the scratch slot written. Window: equal to <paramref name="SourceSlot"/>.</param>
public readonly record struct CheckpointOperation(
    CheckpointOperationKind Kind, int FromAnchor, int ToAnchor, int SourceSlot, int TargetSlot);
