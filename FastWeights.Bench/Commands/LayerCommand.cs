using System.CommandLine;
using System.Globalization;
using FastWeights.Bench.Cli;
using FastWeights.Kernels.Core;
using FastWeights.Kernels.FastWeightRnn;
using FastWeights.Kernels.Interop;
using FastWeights.Kernels.Primitives;

namespace FastWeights.Bench.Commands;

/// <summary>
/// <c>layer --case IN.safetensors --out OUT.safetensors [--kind rnn|dpfp] [--accelerator auto|cpu|cuda] [--schedule auto|group|thread|host]</c>:
/// runs one forward and backward call of the layer on the tensors of a case file and writes the outputs and gradients.
/// <c>--kind rnn</c> (default) is the fast-weight RNN layer described here; <c>--kind dpfp</c> the linear fast-weight
/// memory, whose tensors are listed in <see cref="DpfpLayerCase"/>.
/// </summary>
/// <remarks>
/// <para>Input (all F32): x [B,T,I], h0 [B,H], A0 [B,H,H], W [H,H], C [H,I], b [H], ln_gain [H], ln_bias [H],
/// dy [B,T,H], and optionally dhT [B,H], dAT [B,H,H]. String metadata: decay, fast_lr, inner_steps, ln_eps,
/// activation (tanh | relu); numbers in the invariant culture.</para>
/// <para>Output (all F32): y, hT, AT, grad_x, grad_h0, grad_A0, grad_W, grad_C, grad_b, grad_ln_gain, grad_ln_bias,
/// each with the shape of the tensor it belongs to; metadata echoes the hyper-parameters and names the
/// accelerator and schedule that ran.</para>
/// </remarks>
internal static class LayerCommand
{
    public const string Name = "layer";

    private static readonly string[] Kinds = ["rnn", "dpfp"];
    private static readonly string[] MetadataKeys = ["decay", "fast_lr", "inner_steps", "ln_eps", "activation"];

    public static Command Create()
    {
        var casePath = new Option<string>("--case") { Description = "Input safetensors file (tensors and hyper-parameters).", Required = true };
        var outPath = new Option<string>("--out") { Description = "Output safetensors file (outputs and gradients).", Required = true };
        var accelerator = new Option<string>("--accelerator")
        {
            Description = "Where to run: auto (CUDA if present, else CPU), cpu, or cuda.",
            DefaultValueFactory = _ => "auto",
        };
        accelerator.AcceptOnlyFromAmong(DeviceOptions.Accelerators);
        var schedule = new Option<string>("--schedule")
        {
            Description = "Thread schedule: auto (from the accelerator), group, or thread. group on the CPU runs the NVIDIA-shaped CPU device.",
            DefaultValueFactory = _ => "auto",
        };
        schedule.AcceptOnlyFromAmong(DeviceOptions.Schedules);
        var kind = new Option<string>("--kind")
        {
            Description = "Which layer: rnn (the fast-weight RNN, default) or dpfp (the linear fast-weight memory: feature map, sum/delta rule).",
            DefaultValueFactory = _ => "rnn",
        };
        kind.AcceptOnlyFromAmong(Kinds);

        var command = new Command(Name, "Run forward and backward of the layer on a safetensors case and write outputs and gradients.")
        {
            casePath, outPath, accelerator, schedule, kind,
        };
        command.SetAction(parse => Run(
            parse.GetValue(casePath)!, parse.GetValue(outPath)!, parse.GetValue(accelerator)!, parse.GetValue(schedule)!,
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, parse.GetValue(kind)!));
        return command;
    }

    /// <summary>Runs the command.</summary>
    /// <returns>0 on success; <see cref="CommandErrors.InputError"/> after one line on <paramref name="stderr"/> for bad input.</returns>
    public static int Run(string casePath, string outPath, string accelerator, string schedule, TextWriter stdout, TextWriter stderr,
        string kind = "rnn") =>
        CommandErrors.Guard(Name, stderr, () =>
        {
            stdout.WriteLine(Execute(casePath, outPath, accelerator, schedule, kind));
            return 0;
        });

    /// <summary>Does the work; returns the summary line. Throws <see cref="CommandInputException"/> (and the
    /// other expected exceptions of <see cref="CommandErrors.Guard"/>) for bad input.</summary>
    public static string Execute(string casePath, string outPath, string accelerator, string schedule, string kind = "rnn")
    {
        if (string.IsNullOrEmpty(casePath)) throw new CommandInputException("--case must name a file.");
        if (string.IsNullOrEmpty(outPath)) throw new CommandInputException("--out must name a file.");
        SweepSchedule sweep = DeviceOptions.ParseSchedule(schedule);
        string acceleratorName = DeviceOptions.ParseChoice(accelerator, DeviceOptions.Accelerators, "--accelerator");
        string kindName = DeviceOptions.ParseChoice(kind, Kinds, "--kind");

        // A pipe or device as --case would block or read forever, and --out = --case would overwrite the input: both are
        // refused before anything is opened. The whole case is read into memory, so it must fit.
        var caseInfo = ResourceCheck.RequireRegularFile(casePath, "--case");
        if (ResourceCheck.SameFile(casePath, outPath))
            throw new CommandInputException($"--out {outPath} is the --case file itself; writing it would overwrite the input.");
        ResourceCheck.RequireHostFits(caseInfo.Length * 3, $"--case {casePath} ({caseInfo.Length} bytes, read once and converted to arrays and outputs)");
        var file = SafeTensorsFile.Load(casePath);
        if (kindName == "dpfp")
            return DpfpLayerCase.Execute(file, outPath, acceleratorName, sweep);
        var layerCase = ReadCase(file);
        var options = layerCase.Options with { Schedule = sweep };

        using var device = DeviceOptions.OpenDevice(acceleratorName, sweep);
        using var layer = new FastWeightRnnLayer(device.Accelerator, options);
        var result = FastWeightRnnHost.Run(layer, layerCase.Inputs);

        WriteResult(outPath, layerCase, result, device, layer);
        return $"layer: ran on {DeviceOptions.KindName(device.Kind)} ({device.Accelerator.Name}), schedule {DeviceOptions.ScheduleName(layer.Schedule)}, "
               + $"B={layerCase.Batch} T={layerCase.Time} I={options.InputSize} H={options.HiddenSize} S={options.InnerSteps}; wrote {outPath}";
    }

    /// <summary>A case file, checked and converted.</summary>
    internal sealed record LayerCase(int Batch, int Time, FastWeightRnnOptions Options, FastWeightRnnHostInputs Inputs);

    /// <summary>
    /// Checks every tensor (presence, dtype, shape) and every metadata key, then builds the options
    /// (schedule left at Auto) and the host inputs.
    /// </summary>
    internal static LayerCase ReadCase(SafeTensorsFile file)
    {
        int[] xShape = Info(file, "x").Shape;
        if (xShape.Length != 3 || xShape.Any(d => d < 1))
            throw new CommandInputException($"tensor 'x' must have shape [B,T,I] with every size >= 1, but has shape {Show(xShape)}.");
        int[] wShape = Info(file, "W").Shape;
        if (wShape.Length != 2 || wShape[0] != wShape[1] || wShape[0] < 1)
            throw new CommandInputException($"tensor 'W' must have shape [H,H] with H >= 1, but has shape {Show(wShape)}.");
        int B = xShape[0], T = xShape[1], I = xShape[2], H = wShape[0];

        var expected = new (string Name, int[] Shape, string Symbolic, bool Required)[]
        {
            ("x", [B, T, I], "[B,T,I]", true),
            ("h0", [B, H], "[B,H]", true),
            ("A0", [B, H, H], "[B,H,H]", true),
            ("W", [H, H], "[H,H]", true),
            ("C", [H, I], "[H,I]", true),
            ("b", [H], "[H]", true),
            ("ln_gain", [H], "[H]", true),
            ("ln_bias", [H], "[H]", true),
            ("dy", [B, T, H], "[B,T,H]", true),
            ("dhT", [B, H], "[B,H]", false),
            ("dAT", [B, H, H], "[B,H,H]", false),
        };
        RejectUnknownTensors(file, expected.Select(e => e.Name), "--kind rnn");
        foreach (var (name, shape, symbolic, required) in expected)
        {
            CheckTensor(file, name, shape, symbolic, required, $"B={B}, T={T}, I={I}, H={H} from x and W");
        }

        var options = new FastWeightRnnOptions
        {
            InputSize = I,
            HiddenSize = H,
            Decay = ReadDouble(file, "decay"),
            FastLearningRate = ReadDouble(file, "fast_lr"),
            InnerSteps = ReadInt(file, "inner_steps"),
            LayerNormEpsilon = ReadDouble(file, "ln_eps"),
            Activation = ReadActivation(file),
        };
        CheckRanges(options);

        float[] Read(string name) => file.ReadFloat32(name, out _);
        float[]? ReadOptional(string name) => file.Contains(name) ? Read(name) : null;
        var inputs = new FastWeightRnnHostInputs
        {
            Batch = B, Time = T,
            X = Read("x"), H0 = Read("h0"), A0 = Read("A0"),
            W = Read("W"), C = Read("C"), B = Read("b"), LnGain = Read("ln_gain"), LnBias = Read("ln_bias"),
            Dy = Read("dy"), DhT = ReadOptional("dhT"), DAT = ReadOptional("dAT"),
        };
        return new LayerCase(B, T, options, inputs);
    }

    private static void WriteResult(string outPath, LayerCase layerCase, FastWeightRnnHostResult r, ComputeDevice device, FastWeightRnnLayer layer)
    {
        int B = layerCase.Batch, T = layerCase.Time, I = layer.Options.InputSize, H = layer.Options.HiddenSize;
        var o = layer.Options;
        var writer = new SafeTensorsWriter();
        writer.AddMetadata("decay", Number(o.Decay));
        writer.AddMetadata("fast_lr", Number(o.FastLearningRate));
        writer.AddMetadata("inner_steps", o.InnerSteps.ToString(CultureInfo.InvariantCulture));
        writer.AddMetadata("ln_eps", Number(o.LayerNormEpsilon));
        writer.AddMetadata("activation", o.Activation == Activation.Relu ? "relu" : "tanh");
        writer.AddMetadata("accelerator", DeviceOptions.KindName(device.Kind));
        writer.AddMetadata("device", device.Accelerator.Name);
        writer.AddMetadata("schedule", DeviceOptions.ScheduleName(layer.Schedule));

        static float[] Grad(float[]? g, string name) =>
            g ?? throw new InvalidOperationException($"the host path returned no {name} although dy was given.");
        writer.Add("y", r.Y, B, T, H);
        writer.Add("hT", r.HT, B, H);
        writer.Add("AT", r.AT, B, H, H);
        writer.Add("grad_x", Grad(r.DX, "dx"), B, T, I);
        writer.Add("grad_h0", Grad(r.DH0, "dh0"), B, H);
        writer.Add("grad_A0", Grad(r.DA0, "dA0"), B, H, H);
        writer.Add("grad_W", Grad(r.DW, "dW"), H, H);
        writer.Add("grad_C", Grad(r.DC, "dC"), H, I);
        writer.Add("grad_b", Grad(r.DB, "db"), H);
        writer.Add("grad_ln_gain", Grad(r.DLnGain, "dLnGain"), H);
        writer.Add("grad_ln_bias", Grad(r.DLnBias, "dLnBias"), H);
        writer.Save(outPath);
    }

    /// <summary>A tensor the layer does not read is a mistake in the case (a typo, the wrong kind): refused, named.</summary>
    internal static void RejectUnknownTensors(SafeTensorsFile file, IEnumerable<string> known, string kind)
    {
        var names = new HashSet<string>(known, StringComparer.Ordinal);
        var unknown = file.Tensors.Select(t => t.Name).Where(n => !names.Contains(n)).ToList();
        if (unknown.Count > 0)
            throw new CommandInputException($"tensor '{unknown[0]}' is not an input of {kind}{(unknown.Count > 1 ? $" (nor {string.Join(", ", unknown.Skip(1).Select(n => $"'{n}'"))})" : "")}; "
                + $"the inputs are {string.Join(", ", names)}.");
    }

    /// <summary>
    /// Checks one tensor of a case file: an optional one may be absent (false); otherwise it must be F32 of
    /// <paramref name="shape"/>, or one line names it, its expected shape <paramref name="symbolic"/> and the
    /// <paramref name="sizes"/> that give it.
    /// </summary>
    internal static bool CheckTensor(SafeTensorsFile file, string name, int[] shape, string symbolic, bool required, string sizes)
    {
        if (!required && !file.Contains(name)) return false;
        var info = Info(file, name);
        if (info.DType != SafeTensorDType.F32)
            throw new CommandInputException($"tensor '{name}' must be F32, but is {info.DType}.");
        if (!info.Shape.SequenceEqual(shape))
            throw new CommandInputException($"tensor '{name}' must have shape {symbolic} = {Show(shape)} ({sizes}), but has shape {Show(info.Shape)}.");
        return true;
    }

    /// <summary>The tensor <paramref name="name"/> of a case file, or one line saying it is missing.</summary>
    internal static SafeTensorInfo Info(SafeTensorsFile file, string name) =>
        file.Contains(name)
            ? file.GetInfo(name)
            : throw new CommandInputException($"tensor '{name}' is missing from '{file.SourceName}'.");

    private static string Metadata(SafeTensorsFile file, string key) =>
        file.Metadata.TryGetValue(key, out string? value)
            ? value
            : throw new CommandInputException(
                $"metadata key '{key}' is missing from '{file.SourceName}' (needed: {string.Join(", ", MetadataKeys)}).");

    private static double ReadDouble(SafeTensorsFile file, string key)
    {
        string text = Metadata(file, key);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
            throw new CommandInputException($"metadata key '{key}' must be a finite number, but is '{text}'.");
        return value;
    }

    private static int ReadInt(SafeTensorsFile file, string key)
    {
        string text = Metadata(file, key);
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
            throw new CommandInputException($"metadata key '{key}' must be an integer, but is '{text}'.");
        return value;
    }

    private static Activation ReadActivation(SafeTensorsFile file)
    {
        string text = Metadata(file, "activation");
        return text switch
        {
            "tanh" => Activation.Tanh,
            "relu" => Activation.Relu,
            _ => throw new CommandInputException($"metadata key 'activation' must be 'tanh' or 'relu', but is '{text}'."),
        };
    }

    private static void CheckRanges(FastWeightRnnOptions o)
    {
        if (!FastWeightDecay.IsValid(o.Decay))
            throw new CommandInputException($"metadata key 'decay' must lie in (0, 1], but is {Number(o.Decay)}.");
        if (!(o.FastLearningRate >= 0.0))
            throw new CommandInputException($"metadata key 'fast_lr' must be >= 0, but is {Number(o.FastLearningRate)}.");
        if (o.InnerSteps < 1)
            throw new CommandInputException($"metadata key 'inner_steps' must be >= 1, but is {o.InnerSteps}.");
        if (!(o.LayerNormEpsilon > 0.0))
            throw new CommandInputException($"metadata key 'ln_eps' must be > 0, but is {Number(o.LayerNormEpsilon)}.");
        o.Validate(); // the sizes (H² must fit a 32-bit index, …)
    }

    private static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A shape as the messages print it: [2, 3].</summary>
    internal static string Show(int[] shape) => "[" + string.Join(", ", shape) + "]";
}
