using System.Globalization;

namespace FastWeights.Bench.Benchmarks;

/// <summary>The sizes of one benchmark case: B sequences of T steps, input width I, hidden size H, S inner steps, decay λ.</summary>
internal sealed record LayerShape(int Batch, int Time, int Input, int Hidden, int InnerSteps, double Decay)
{
    public override string ToString() =>
        $"B={Batch} T={Time} I={Input} H={Hidden} S={InnerSteps} λ={Decay.ToString(CultureInfo.InvariantCulture)}";
}
