using System.Globalization;
using FastWeights.Kernels.Interop;
using FastWeights.Model.Parameters;
using ILGPU;
using ILGPU.Runtime;

namespace FastWeights.Model.Training;

/// <summary>
/// Saves and loads a model's parameters and an <see cref="AdamOptimizer"/>'s state as safetensors files in one
/// directory: <see cref="ModelFileName"/> (every parameter under its name, F32, its shape, plus the caller's
/// string metadata) and optionally <see cref="OptimizerFileName"/> (tensors <c>&lt;name&gt;.m</c> and
/// <c>&lt;name&gt;.v</c>, metadata <c>step</c> and the Adam options).
/// </summary>
/// <remarks>
/// <para>Each file is written atomically (temporary file, then move). Loading reads and checks the whole file on
/// the host before anything is copied to the device: every expected tensor present, no unexpected one, dtype F32,
/// exact shapes. On any mismatch a <see cref="CheckpointException"/> lists every problem and the target is left
/// untouched, never half-loaded.</para>
/// <para>Saving and loading are synchronous: saving first waits for all work queued on the parameters' accelerator.</para>
/// </remarks>
public static class Checkpoint
{
    /// <summary>File name of the model's parameters within a checkpoint directory.</summary>
    public const string ModelFileName = "model.safetensors";

    /// <summary>File name of the optimizer's state within a checkpoint directory.</summary>
    public const string OptimizerFileName = "optimizer.safetensors";

    /// <summary>Metadata key of the optimizer's step count in <see cref="OptimizerFileName"/>.</summary>
    public const string StepKey = "step";

    /// <summary>
    /// Writes <see cref="ModelFileName"/> and, if <paramref name="optimizer"/> is given, <see cref="OptimizerFileName"/>
    /// into <paramref name="directory"/> (created if needed), replacing existing files.
    /// </summary>
    /// <param name="directory">The checkpoint directory.</param>
    /// <param name="model">Its parameters are written under their names, in order.</param>
    /// <param name="metadata">String metadata stored in <see cref="ModelFileName"/> (hyper-parameters, architecture); keys non-empty.</param>
    /// <param name="optimizer">The optimizer whose moments and step count to save, or null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="metadata"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is null or empty, the model's parameter names are not
    /// unique, or a metadata key is empty.</exception>
    /// <exception cref="IOException">Writing failed.</exception>
    public static void Save(string directory, IModule model, IReadOnlyDictionary<string, string> metadata, AdamOptimizer? optimizer)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(metadata);
        Parameter[] parameters = ParameterChecks.Check(model.Parameters, nameof(model), null, requireNonEmpty: false);

        var modelWriter = new SafeTensorsWriter();
        foreach (var (key, value) in metadata)
        {
            if (string.IsNullOrEmpty(key)) throw new ArgumentException("A metadata key is empty.", nameof(metadata));
            modelWriter.AddMetadata(key, value ?? throw new ArgumentException($"Metadata '{key}' is null.", nameof(metadata)));
        }
        foreach (Parameter p in parameters)
        {
            p.Value.Accelerator.Synchronize();
            modelWriter.Add(p.Name, p.Download(), p.Shape);
        }

        SafeTensorsWriter? optimizerWriter = null;
        if (optimizer is not null)
        {
            optimizer.Accelerator.Synchronize();
            optimizerWriter = new SafeTensorsWriter();
            AdamOptions o = optimizer.Options;
            optimizerWriter.AddMetadata(StepKey, optimizer.StepCount.ToString(CultureInfo.InvariantCulture));
            optimizerWriter.AddMetadata("learning_rate", o.LearningRate.ToString("R", CultureInfo.InvariantCulture));
            optimizerWriter.AddMetadata("beta1", o.Beta1.ToString("R", CultureInfo.InvariantCulture));
            optimizerWriter.AddMetadata("beta2", o.Beta2.ToString("R", CultureInfo.InvariantCulture));
            optimizerWriter.AddMetadata("epsilon", o.Epsilon.ToString("R", CultureInfo.InvariantCulture));
            optimizerWriter.AddMetadata("weight_decay", o.WeightDecay.ToString("R", CultureInfo.InvariantCulture));
            for (int k = 0; k < optimizer.State.Count; k++)
            {
                var (name, m, v) = optimizer.State[k];
                int[] shape = optimizer.Parameters[k].Shape;
                optimizerWriter.Add(name + ".m", m.GetAsArray1D(), shape);
                optimizerWriter.Add(name + ".v", v.GetAsArray1D(), shape);
            }
        }

        Directory.CreateDirectory(directory);
        modelWriter.Save(Path.Combine(directory, ModelFileName));
        optimizerWriter?.Save(Path.Combine(directory, OptimizerFileName));
    }

    /// <summary>
    /// Checks <see cref="ModelFileName"/> against <paramref name="model"/>'s parameters and, only if everything matches,
    /// copies the values into them.
    /// </summary>
    /// <param name="directory">The checkpoint directory.</param>
    /// <param name="model">Receives the values.</param>
    /// <returns>The file's metadata.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is null or empty, or the model's parameter names are not unique.</exception>
    /// <exception cref="CheckpointException">The file is missing or malformed, or does not match; the model is unchanged.</exception>
    public static IReadOnlyDictionary<string, string> LoadModel(string directory, IModule model)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(model);
        Parameter[] parameters = ParameterChecks.Check(model.Parameters, nameof(model), null, requireNonEmpty: false);
        string path = Path.Combine(directory, ModelFileName);
        SafeTensorsFile file = Open(path);
        var expected = parameters.Select(p => (p.Name, p.Shape)).ToArray();
        float[][] values = ReadAll(file, expected, path);
        for (int k = 0; k < parameters.Length; k++)
            parameters[k].Upload(values[k]);
        return file.Metadata;
    }

    /// <summary>
    /// Checks <see cref="OptimizerFileName"/> against <paramref name="optimizer"/> (tensors <c>&lt;name&gt;.m</c> and
    /// <c>&lt;name&gt;.v</c> per parameter, metadata <see cref="StepKey"/> a non-negative integer) and, only if everything
    /// matches, copies the moments in and sets <see cref="AdamOptimizer.StepCount"/>. The stored Adam options are
    /// informational: the optimizer keeps its own.
    /// </summary>
    /// <param name="directory">The checkpoint directory.</param>
    /// <param name="optimizer">Receives the state.</param>
    /// <exception cref="ArgumentNullException"><paramref name="optimizer"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is null or empty.</exception>
    /// <exception cref="CheckpointException">The file is missing or malformed, or does not match; the optimizer is unchanged.</exception>
    public static void LoadOptimizer(string directory, AdamOptimizer optimizer)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(optimizer);
        string path = Path.Combine(directory, OptimizerFileName);
        SafeTensorsFile file = Open(path);
        var expected = new List<(string Name, int[] Shape)>();
        foreach (Parameter p in optimizer.Parameters)
        {
            expected.Add((p.Name + ".m", p.Shape));
            expected.Add((p.Name + ".v", p.Shape));
        }
        float[][] values = ReadAll(file, expected, path);
        if (!file.Metadata.TryGetValue(StepKey, out string? stepText))
            throw new CheckpointException($"Checkpoint '{path}': metadata '{StepKey}' expected, found nothing.", StepKey);
        if (!long.TryParse(stepText, NumberStyles.None, CultureInfo.InvariantCulture, out long step))
            throw new CheckpointException($"Checkpoint '{path}': metadata '{StepKey}' expected a non-negative integer, found '{stepText}'.", StepKey);

        for (int k = 0; k < optimizer.State.Count; k++)
        {
            optimizer.State[k].M.CopyFromCPU(values[2 * k]);
            optimizer.State[k].V.CopyFromCPU(values[2 * k + 1]);
        }
        optimizer.StepCount = step;
    }

    /// <summary>The metadata of <see cref="ModelFileName"/> in <paramref name="directory"/>.</summary>
    /// <param name="directory">The checkpoint directory.</param>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is null or empty.</exception>
    /// <exception cref="CheckpointException">The file is missing or malformed.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return Open(Path.Combine(directory, ModelFileName)).Metadata;
    }

    private static SafeTensorsFile Open(string path)
    {
        try
        {
            return SafeTensorsFile.Load(path);
        }
        catch (FileNotFoundException ex)
        {
            throw new CheckpointException($"Checkpoint file '{path}' was not found.", null, ex);
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new CheckpointException($"Checkpoint file '{path}' was not found (no such directory).", null, ex);
        }
        catch (SafeTensorsFormatException ex)
        {
            throw new CheckpointException($"Checkpoint file '{path}' is not a valid safetensors file: {ex.Message}", ex.TensorName, ex);
        }
    }

    /// <summary>Validates every tensor first (all problems in one exception), then reads them all to host arrays.</summary>
    private static float[][] ReadAll(SafeTensorsFile file, IReadOnlyList<(string Name, int[] Shape)> expected, string path)
    {
        var problems = new List<(string Tensor, string Text)>();
        var expectedNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, shape) in expected)
        {
            expectedNames.Add(name);
            if (!file.Contains(name))
            {
                problems.Add((name, $"tensor '{name}': expected F32 {ShapeText(shape)}, found nothing (missing)"));
                continue;
            }
            SafeTensorInfo info = file.GetInfo(name);
            if (info.DType != SafeTensorDType.F32)
                problems.Add((name, $"tensor '{name}': expected dtype F32, found {info.DType}"));
            if (!info.Shape.AsSpan().SequenceEqual(shape))
                problems.Add((name, $"tensor '{name}': expected shape {ShapeText(shape)}, found {ShapeText(info.Shape)}"));
        }
        foreach (SafeTensorInfo info in file.Tensors)
            if (!expectedNames.Contains(info.Name))
                problems.Add((info.Name, $"tensor '{info.Name}': expected nothing (unexpected extra tensor), found {info.DType} {ShapeText(info.Shape)}"));
        if (problems.Count > 0)
            throw new CheckpointException(
                $"Checkpoint '{path}' does not match: {string.Join("; ", problems.Select(p => p.Text))}.", problems[0].Tensor);

        var values = new float[expected.Count][];
        for (int k = 0; k < values.Length; k++)
            values[k] = file.ReadFloat32(expected[k].Name, out _);
        return values;
    }

    private static string ShapeText(int[] shape) => "[" + string.Join(",", shape) + "]";
}
