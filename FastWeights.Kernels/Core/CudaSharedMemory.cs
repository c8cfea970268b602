using System.Runtime.InteropServices;
using ILGPU.Runtime.Cuda;

namespace FastWeights.Kernels.Core;

/// <summary>
/// Opts a loaded CUDA kernel into more than 48 KiB of dynamic shared memory per block, which ILGPU
/// 1.5.3 never does itself: <c>cuFuncSetAttribute(f, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, n)</c>
/// on the kernel's CUfunction, bounded by the device's
/// <c>CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN</c>.
/// </summary>
/// <remarks>
/// <para>The CUfunction comes from ILGPU's own objects: <c>KernelUtil.TryGetKernel</c> resolves the
/// <see cref="Kernel"/> behind a launcher delegate, and on CUDA that is a <see cref="CudaKernel"/> with
/// <see cref="CudaKernel.FunctionPtr"/>. The three driver entry points are looked up in the same driver
/// library ILGPU uses (libcuda.so.1 / libcuda.so on Linux, nvcuda.dll on Windows) and called through
/// delegates, so no unsafe code is needed. Every failure (no driver library, a missing entry point, an
/// error code) is reported as "no opt-in", and the caller then keeps the matrices in global memory.</para>
/// <para>The attribute is only ever raised, never lowered: ILGPU may hand the same cached kernel to two
/// layers of different sizes, and lowering it for the second would break the first.</para>
/// <para>Not validated on a GPU: written and reviewed against the CUDA driver API documentation and
/// ILGPU 1.5.3's source, with no CUDA device available (docs/benchmarks.md, CUDA section).</para>
/// </remarks>
internal static class CudaSharedMemory
{
    /// <summary>CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES: the function's static shared memory.</summary>
    internal const int FunctionStaticSharedBytes = 1;

    /// <summary>CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES.</summary>
    internal const int FunctionMaxDynamicSharedBytes = 8;

    /// <summary>CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN.</summary>
    internal const int DeviceMaxSharedPerBlockOptIn = 97;

    private delegate int CuFuncSetAttribute(IntPtr function, int attribute, int value);

    private delegate int CuFuncGetAttribute(out int value, int attribute, IntPtr function);

    private delegate int CuDeviceGetAttribute(out int value, int attribute, int device);

    private sealed record Driver(CuFuncSetAttribute FuncSet, CuFuncGetAttribute FuncGet, CuDeviceGetAttribute DeviceGet);

    private static readonly Lazy<Driver?> driver = new(LoadDriver);

    /// <summary>Library names tried, in order, for the CUDA driver on this OS.</summary>
    internal static string[] DriverLibraryNames() =>
        OperatingSystem.IsWindows() ? ["nvcuda.dll", "nvcuda"]
        : OperatingSystem.IsLinux() ? ["libcuda.so.1", "libcuda.so", "cuda"]
        : [];

    /// <summary>
    /// The most dynamic shared memory, in bytes, a kernel on <paramref name="accelerator"/> can opt into;
    /// 0 when the accelerator is not CUDA or the opt-in is unavailable (then 48 KiB is the limit).
    /// </summary>
    public static int OptInLimit(Accelerator accelerator)
    {
        if (accelerator is not CudaAccelerator cuda || cuda.IsDisposed) return 0;
        var d = driver.Value;
        if (d is null) return 0;
        try
        {
            using var binding = cuda.BindScoped();
            return d.DeviceGet(out int value, DeviceMaxSharedPerBlockOptIn, cuda.DeviceId) == 0 && value > 0 ? value : 0;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException or MarshalDirectiveException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Makes sure the kernel behind <paramref name="kernel"/> may launch with <paramref name="bytes"/> of
    /// dynamic shared memory. Nothing to do (true) off CUDA or at ≤ 48 KiB; on CUDA above that, raises the
    /// kernel's limit to <paramref name="bytes"/> unless it is already at least that.
    /// </summary>
    /// <returns>False when the launch would be refused: the opt-in is unavailable, or
    /// <paramref name="bytes"/> plus the kernel's static shared memory exceeds the device's opt-in maximum.</returns>
    public static bool Allow<TDelegate>(Accelerator accelerator, TDelegate kernel, long bytes)
        where TDelegate : Delegate
    {
        if (accelerator is not CudaAccelerator cuda) return true;
        if (!SharedMemoryBudget.NeedsOptIn(bytes)) return true;
        int optIn = OptInLimit(cuda);
        var d = driver.Value;
        if (d is null || optIn == 0 || bytes > optIn) return false;
        if (!kernel.TryGetKernel(out Kernel? loaded) || loaded is not CudaKernel cudaKernel || cudaKernel.FunctionPtr == IntPtr.Zero)
            return false;
        try
        {
            using var binding = cuda.BindScoped();
            IntPtr f = cudaKernel.FunctionPtr;
            if (d.FuncGet(out int staticBytes, FunctionStaticSharedBytes, f) != 0) return false;
            if (bytes + staticBytes > optIn) return false;
            if (d.FuncGet(out int current, FunctionMaxDynamicSharedBytes, f) == 0 && current >= bytes) return true;
            return d.FuncSet(f, FunctionMaxDynamicSharedBytes, (int)bytes) == 0;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException or MarshalDirectiveException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads attribute <paramref name="attribute"/> (a CUfunction_attribute) of the CUDA function behind
    /// <paramref name="kernel"/>: <c>cuFuncGetAttribute</c> on the handle <see cref="Allow"/> uses.
    /// </summary>
    /// <returns>False off CUDA, or when the driver, the handle or the call is unavailable.</returns>
    public static bool TryGetFunctionAttribute<TDelegate>(Accelerator accelerator, TDelegate kernel, int attribute, out int value)
        where TDelegate : Delegate
    {
        value = 0;
        if (accelerator is not CudaAccelerator cuda || cuda.IsDisposed) return false;
        var d = driver.Value;
        if (d is null || !kernel.TryGetKernel(out Kernel? loaded) || loaded is not CudaKernel cudaKernel || cudaKernel.FunctionPtr == IntPtr.Zero)
            return false;
        try
        {
            using var binding = cuda.BindScoped();
            return d.FuncGet(out value, attribute, cudaKernel.FunctionPtr) == 0;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException or MarshalDirectiveException)
        {
            return false;
        }
    }

    private static Driver? LoadDriver()
    {
        foreach (string name in DriverLibraryNames())
        {
            if (!NativeLibrary.TryLoad(name, out IntPtr library)) continue;
            if (NativeLibrary.TryGetExport(library, "cuFuncSetAttribute", out IntPtr set)
                && NativeLibrary.TryGetExport(library, "cuFuncGetAttribute", out IntPtr get)
                && NativeLibrary.TryGetExport(library, "cuDeviceGetAttribute", out IntPtr device))
            {
                // The handle stays loaded for the life of the process, as ILGPU's own binding does.
                return new Driver(
                    Marshal.GetDelegateForFunctionPointer<CuFuncSetAttribute>(set),
                    Marshal.GetDelegateForFunctionPointer<CuFuncGetAttribute>(get),
                    Marshal.GetDelegateForFunctionPointer<CuDeviceGetAttribute>(device));
            }
            NativeLibrary.Free(library);
        }
        return null;
    }
}
