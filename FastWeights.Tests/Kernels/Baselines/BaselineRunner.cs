using FastWeights.Kernels.Baselines;
using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Tests.Kernels.FastWeightRnn;

namespace FastWeights.Tests.Kernels.Baselines;

/// <summary>The two baseline implementations under test.</summary>
public enum BaselineKind
{
    PerStepLaunch,
    AttentionForm,
}

/// <summary>Device views of one forward + backward call of a baseline.</summary>
public sealed class BaselineViews
{
    public required ArrayView<float> Y, HT, AT, X, H0, A0;
    public required ArrayView<float> DX, DH0, DA0, Dy, DhT, DAT;
    public required FastWeightRnnParameters Parameters;
    public required FastWeightRnnParameterGradients Gradients;
}

/// <summary>
/// Builds a baseline of either kind behind one shape (forward, backward), so the tests are written once.
/// </summary>
public sealed class BaselineUnderTest : IDisposable
{
    private readonly PerStepLaunchRnn? perStep;
    private readonly AttentionFormRnn? attention;
    private readonly TapeWorkspace workspace;

    public BaselineUnderTest(BaselineKind kind, Accelerator accelerator, FastWeightRnnOptions options, int maxBatch, int maxTime)
    {
        Kind = kind;
        if (kind == BaselineKind.PerStepLaunch)
        {
            perStep = new PerStepLaunchRnn(accelerator, options);
            workspace = perStep.CreateWorkspace(maxBatch, maxTime);
        }
        else
        {
            attention = new AttentionFormRnn(accelerator, options);
            workspace = attention.CreateWorkspace(maxBatch, maxTime);
        }
    }

    public BaselineKind Kind { get; }
    public TapeWorkspace Workspace => workspace;

    public long WorkspaceBytes(int batch, int time) =>
        perStep is not null ? perStep.WorkspaceBytes(batch, time) : attention!.WorkspaceBytes(batch, time);

    public void Forward(BaselineViews v, int batch, int time)
    {
        var stream = workspace.Accelerator.DefaultStream;
        if (perStep is not null)
            perStep.Forward(stream, (PerStepLaunchWorkspace)workspace, v.Y, v.HT, v.AT, v.X, v.H0, v.A0, v.Parameters, batch, time);
        else
            attention!.Forward(stream, (AttentionFormWorkspace)workspace, v.Y, v.HT, v.AT, v.X, v.H0, v.A0, v.Parameters, batch, time);
    }

    public void Backward(BaselineViews v, int batch, int time)
    {
        var stream = workspace.Accelerator.DefaultStream;
        if (perStep is not null)
            perStep.Backward(stream, (PerStepLaunchWorkspace)workspace, v.DX, v.DH0, v.DA0, v.Gradients, v.Dy, v.DhT, v.DAT, v.X, v.Parameters, batch, time);
        else
            attention!.Backward(stream, (AttentionFormWorkspace)workspace, v.DX, v.DH0, v.DA0, v.Gradients, v.Dy, v.DhT, v.DAT, v.X, v.Parameters, batch, time);
    }

    public void Dispose()
    {
        workspace.Dispose();
        perStep?.Dispose();
        attention?.Dispose();
    }
}

/// <summary>Runs a <see cref="ReferenceCase"/> through a baseline on the CPU accelerator and reads every result back.</summary>
public static class BaselineRunner
{
    public static Accelerator Accelerator => Devices.Cpu.Accelerator;

    /// <summary>
    /// Forward and backward of <paramref name="c"/>. With <paramref name="passInitialState"/> false, h0 and A0
    /// are passed as empty views (the case must then have been drawn with a zero initial state). dhT/dAT
    /// are empty views when the case has none.
    /// </summary>
    public static FastWeightRnnHostResult Run(BaselineKind kind, ReferenceCase c, bool passInitialState = true, Accelerator? accelerator = null)
    {
        var cfg = c.Config;
        int B = cfg.Batch, T = cfg.Time, H = cfg.Hidden, I = cfg.Input;
        var acc = accelerator ?? Accelerator;
        using var buffers = new DeviceBuffers(acc);
        var v = new BaselineViews
        {
            X = buffers.Up(c.Inputs.X),
            H0 = passInitialState ? buffers.Up(c.Inputs.H0) : default,
            A0 = passInitialState ? buffers.Up(c.Inputs.A0) : default,
            Y = buffers.Zero((long)B * T * H), HT = buffers.Zero((long)B * H), AT = buffers.Zero((long)B * H * H),
            Parameters = new FastWeightRnnParameters(buffers.Up(c.Params.W), buffers.Up(c.Params.C), buffers.Up(c.Params.B),
                buffers.Up(c.Params.LnGain), buffers.Up(c.Params.LnBias)),
            DX = buffers.Zero((long)B * T * I), DH0 = buffers.Zero((long)B * H), DA0 = buffers.Zero((long)B * H * H),
            Gradients = new FastWeightRnnParameterGradients(buffers.Zero((long)H * H), buffers.Zero((long)H * I), buffers.Zero(H), buffers.Zero(H), buffers.Zero(H)),
            Dy = buffers.Up(c.Dy), DhT = buffers.Up(c.DhT), DAT = buffers.Up(c.DAT),
        };
        using var baseline = new BaselineUnderTest(kind, acc, LayerRunner.Options(cfg, SweepSchedule.Thread), B, T);
        baseline.Forward(v, B, T);
        baseline.Backward(v, B, T);
        acc.Synchronize();
        return new FastWeightRnnHostResult
        {
            Y = v.Y.GetAsArray(), HT = v.HT.GetAsArray(), AT = v.AT.GetAsArray(),
            DX = v.DX.GetAsArray(), DH0 = v.DH0.GetAsArray(), DA0 = v.DA0.GetAsArray(),
            DW = v.Gradients.DW.GetAsArray(), DC = v.Gradients.DC.GetAsArray(), DB = v.Gradients.DB.GetAsArray(),
            DLnGain = v.Gradients.DLnGain.GetAsArray(), DLnBias = v.Gradients.DLnBias.GetAsArray(),
        };
    }
}
