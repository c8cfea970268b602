using FastWeights.Kernels.FastWeightRnn;

namespace FastWeights.Kernels.Core;

/// <summary>
/// Where a sweep kernel finds its per-sequence vectors, the one layout every family uses: with the thread schedule, its
/// sequence's slice of a global scratch buffer [B, floats]; with the group schedule, dynamic shared memory laid out as
/// [2·G reduction partials | the sweep's vectors], the partials going to the <see cref="GroupSchedule"/>. Device
/// functions: they only slice views, so each kernel reads and writes exactly the addresses it did.
/// </summary>
internal static class SweepScratch
{
    /// <summary>The thread schedule's <paramref name="floats"/> floats of <paramref name="sequence"/> in <paramref name="scratch"/> [B, floats].</summary>
    public static ArrayView<float> Thread(ArrayView<float> scratch, int sequence, int floats) =>
        scratch.SubView((long)sequence * floats, floats);

    /// <summary>The calling group's schedule over the first 2·G floats of <paramref name="shared"/>.</summary>
    public static GroupSchedule GroupOver(ArrayView<float> shared, bool matricesInGlobal) =>
        new(shared.SubView(0, 2 * Group.DimX), Group.IdxX, Group.DimX, matricesInGlobal);

    /// <summary>The <paramref name="floats"/> floats of <paramref name="shared"/> after the group's 2·G reduction partials.</summary>
    public static ArrayView<float> GroupVectors(ArrayView<float> shared, long floats) =>
        shared.SubView(2 * Group.DimX, floats);
}
