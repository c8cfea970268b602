using ILGPU;

namespace FastWeights.Kernels.FastWeightRnn;

/// <summary>
/// The part of a sweep that differs between schedules: which rows this thread owns
/// (rows First, First+Stride, …), how a per-thread partial sum becomes the sequence's sum, and
/// what separates two phases. Kernels are generic over a struct implementing this, so ILGPU
/// specialises each schedule at compile time and the math is written once.
/// </summary>
internal interface ISweepSchedule
{
    /// <summary>First row owned by this thread.</summary>
    int First { get; }

    /// <summary>Distance between two rows owned by this thread.</summary>
    int Stride { get; }

    /// <summary>Makes every write before it visible to every thread of the sequence after it.</summary>
    void Barrier();

    /// <summary>
    /// The sum of <paramref name="partial"/> over the sequence's threads, returned to all of them,
    /// summed in a fixed order (deterministic). <paramref name="slot"/> alternates 0/1 between
    /// consecutive calls so one barrier per reduction suffices (docs/design.md §6).
    /// </summary>
    float Sum(float partial, int slot);
}

/// <summary>One thread per sequence: it owns every row, sums are already complete, no barriers.</summary>
internal readonly struct ThreadSchedule : ISweepSchedule
{
    public int First => 0;
    public int Stride => 1;
    public void Barrier() { }
    public float Sum(float partial, int slot) => partial;
}

/// <summary>
/// One group per sequence. Thread k owns rows k, k+G, k+2G, … Sums: each thread writes its partial
/// to a shared slot, one barrier, then every thread adds the G partials in index order, so all threads
/// hold the bit-identical total. Two slots alternate, which makes a second barrier unnecessary: a thread
/// can only overwrite slot s again after the barrier of the next reduction, which every thread reaches
/// only after it finished reading slot s.
/// </summary>
internal readonly struct GroupSchedule : ISweepSchedule
{
    private readonly ArrayView<float> partials; // [2, G] in shared memory
    private readonly int thread;
    private readonly int groupSize;

    public GroupSchedule(ArrayView<float> partials, int thread, int groupSize)
    {
        this.partials = partials;
        this.thread = thread;
        this.groupSize = groupSize;
    }

    public int First => thread;
    public int Stride => groupSize;
    public void Barrier() => Group.Barrier();

    public float Sum(float partial, int slot)
    {
        int offset = slot * groupSize;
        partials[offset + thread] = partial;
        Group.Barrier();
        float total = 0f;
        for (int k = 0; k < groupSize; k++)
            total += partials[offset + k];
        return total;
    }
}
