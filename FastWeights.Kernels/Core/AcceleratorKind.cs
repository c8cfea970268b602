namespace FastWeights.Kernels.Core;

/// <summary>Which accelerator to run on.</summary>
public enum AcceleratorKind
{
    /// <summary>The first CUDA device if one exists, else the ILGPU CPU accelerator.</summary>
    Auto = 0,

    /// <summary>The ILGPU CPU accelerator with its default device (warp 4, groups of up to 16 threads).</summary>
    Cpu = 1,

    /// <summary>
    /// The ILGPU CPU accelerator simulating an NVIDIA-shaped device (warp 32, groups of up to 1024
    /// threads): how GPU-shaped kernels are tested without a GPU.
    /// </summary>
    CpuNvidia = 2,

    /// <summary>The first CUDA device; an error if none exists.</summary>
    Cuda = 3,
}
