using FastWeights.Model.Layers;
using FastWeights.Tests.Model.Ops;

namespace FastWeights.Tests.Model.Layers;

/// <summary>
/// The dpfp models' sequence layer (<see cref="DpfpEncoder"/>) beyond what the model-level chain test covers: its
/// boundary checks, and a backward without dx giving the same parameter gradients as one with it.
/// </summary>
public sealed class DpfpEncoderTests
{
    private static readonly LinearFastWeightSequenceOptions Attention = new() { Width = 6, Heads = 2, KeySize = 3, ValueSize = 3 };

    [Test]
    public void RejectsBadViewsAndSizesNamingTheArgument()
    {
        using var data = new OpTestData(Devices.Cpu.Accelerator);
        using var encoder = new DpfpEncoder(Devices.Cpu.Accelerator, "encoder", 4, Attention, 5, 2, 3);
        Assert.That((encoder.InputSize, encoder.OutputSize), Is.EqualTo((4, 6)));
        var x = data.Output(2 * 3 * 4);
        var y = data.Output(2 * 3 * 6, 42f);
        var s = data.Stream;
        Assert.That(Assert.Throws<ArgumentException>(() => encoder.Forward(s, y.View.SubView(0, 35), x.View, 2, 3))!.ParamName, Is.EqualTo("y"));
        Assert.That(Assert.Throws<ArgumentException>(() => encoder.Forward(s, y.View, x.View.SubView(0, 23), 2, 3))!.ParamName, Is.EqualTo("x"));
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => encoder.Forward(s, y.View, x.View, 3, 3))!.ParamName, Is.EqualTo("batch"));
        Assert.That(Assert.Throws<ArgumentException>(() => encoder.Backward(s, x.View, x.View, x.View, 2, 3))!.ParamName, Is.EqualTo("dy"));
        Assert.That(data.ReadFloats(y), Is.All.EqualTo(42f), "a rejected call queues nothing");
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new DpfpEncoder(Devices.Cpu.Accelerator, "e", 0, Attention, 5, 2, 3))!.ParamName,
            Is.EqualTo("inputSize"));
    }

    [Test]
    public void BackwardWithoutDxGivesTheSameParameterGradients()
    {
        const int B = 2, T = 4, I = 4;
        var rng = new Random(12);
        using var data = new OpTestData(Devices.Cpu.Accelerator);
        using var encoder = new DpfpEncoder(Devices.Cpu.Accelerator, "encoder", I, Attention, 5, B, T);
        encoder.Initialize(rng);
        var x = data.Upload(OpTestData.Uniform(rng, B * T * I, 1.0));
        var dy = data.Upload(OpTestData.Uniform(rng, B * T * Attention.Width, 1.0));
        var y = data.Output(B * T * Attention.Width);
        var dx = data.Output(B * T * I);
        encoder.Forward(data.Stream, y.View, x.View, B, T);
        encoder.Backward(data.Stream, dx.View, dy.View, x.View, B, T);
        data.Stream.Synchronize();
        var withDx = encoder.Parameters.Select(p => p.DownloadGrad()).ToArray();
        Assert.That(data.ReadFloats(dx).Any(v => v != 0f && v != 123f), "dx was written");
        encoder.Backward(data.Stream, default, dy.View, x.View, B, T);
        data.Stream.Synchronize();
        var withoutDx = encoder.Parameters.Select(p => p.DownloadGrad()).ToArray();
        Assert.That(withoutDx, Is.EqualTo(withDx), "bit-identical: the same kernels in the same order");
    }
}
