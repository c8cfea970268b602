using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Kernels.Core;
using FastWeights.Model.Layers;
using FastWeights.Model.Tasks.Retrieval;

namespace FastWeights.Bench.GpuCheck;

/// <summary>
/// The <c>gpu-check</c> part for whole models: one training batch of each retrieval model (fw, rnn-ln, control,
/// lstm-ln, hyperlstm, dpfp-delta, dpfp-sum, gru-ln; docs/retrieval.md) on the device under test against the same model with the
/// same parameters and batch on the ILGPU CPU accelerator: the loss, then every parameter's gradient. This runs every
/// model op (embedding, dense, layer norm, add, token shift, last step, softmax cross-entropy) and every recurrent kind
/// with the schedules the device picks by default, so it stands in for the model ops' NUnit Gpu tests on a machine
/// without .NET. Tolerances as for the layers: 1e-4 on the loss, 1e-3 relative L2 on each gradient.
/// </summary>
internal static class ModelGpuCheck
{
    private const int Batch = 8, Pairs = 4, Seed = 5;

    /// <summary>The kinds in the order of <see cref="RecurrentKind"/>; <c>--quick</c> takes the first two.</summary>
    internal static readonly RecurrentKind[] Kinds = Enum.GetValues<RecurrentKind>();

    /// <summary>Runs the models and prints a PASS/FAIL line each.</summary>
    public static (int Passed, int Failed) Run(ComputeDevice deviceUnderTest, ComputeDevice reference, bool quick, TextWriter stdout)
    {
        var rng = new Random(Seed);
        var examples = Enumerable.Range(0, Batch).Select(_ => RetrievalGenerator.Sample(rng, Pairs)).ToArray();
        int[] tokens = examples.SelectMany(e => e.Tokens).ToArray();
        int[] targets = examples.Select(e => e.Target).ToArray();
        int passed = 0, failed = 0;
        foreach (var kind in quick ? Kinds.Take(2) : Kinds)
        {
            var config = new RetrievalModelConfig { Kind = kind, SequenceLength = RetrievalGenerator.SequenceLength(Pairs) };
            string what = string.Create(CultureInfo.InvariantCulture,
                $"{DeviceOptions.KindName(deviceUnderTest.Kind)} model {RetrievalModelConfig.KindName(kind)} R={config.Hidden} batch {Batch} of K={Pairs} (one training batch)");
            bool ok = GpuCheckCommand.Report(stdout, what, () =>
            {
                using var expected = new RetrievalModel(reference.Accelerator, config, Batch);
                using var actual = new RetrievalModel(deviceUnderTest.Accelerator, config, Batch);
                expected.Initialize(Seed);
                for (int k = 0; k < expected.Parameters.Count; k++)
                    actual.Parameters[k].Upload(expected.Parameters[k].Download());
                var lossExpected = expected.Run(reference.Accelerator.DefaultStream, tokens, targets, Batch, train: true).Loss;
                var lossActual = actual.Run(deviceUnderTest.Accelerator.DefaultStream, tokens, targets, Batch, train: true).Loss;
                var gradients = expected.Parameters.Select((p, k) => (p.Name, Actual: actual.Parameters[k].DownloadGrad(), Expected: p.DownloadGrad()));
                return Compare(lossActual, lossExpected, gradients);
            });
            if (ok) passed++; else failed++;
        }
        return (passed, failed);
    }

    internal static (bool Ok, string Line) Compare(double lossActual, double lossExpected,
        IEnumerable<(string Name, float[] Actual, float[] Expected)> gradients)
    {
        const double lossTolerance = 1e-4, gradientTolerance = 1e-3;
        double lossError = Math.Abs(lossActual - lossExpected) / Math.Max(Math.Abs(lossExpected), 1e-30);
        bool ok = lossError <= lossTolerance;
        double worst = -1;
        string worstName = "none";
        int count = 0;
        foreach (var (name, a, e) in gradients)
        {
            count++;
            double err = GpuCheckCommand.RelativeL2(a, e);
            if (!(err <= gradientTolerance)) ok = false;
            if (err > worst) { worst = err; worstName = name; } // RelativeL2 maps non-finite values to +∞
        }
        return (ok, string.Create(CultureInfo.InvariantCulture,
            $"loss {lossExpected:F6} rel {lossError:E1}; {count} parameter gradients, worst {worstName}={worst:E1} (tol loss {lossTolerance:E0}, grad {gradientTolerance:E0})"));
    }
}
