using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FastWeights.Kernels.Interop;
using FastWeights.Model.Parameters;

namespace FastWeights.Model.Training;

/// <summary>
/// Saves and loads a model's parameters and an <see cref="AdamOptimizer"/>'s state as one checkpoint: a directory
/// holding <see cref="ModelFileName"/> (every parameter under its name, F32, its shape, plus the caller's string
/// metadata) and optionally <see cref="OptimizerFileName"/> (tensors <c>&lt;name&gt;.m</c> and <c>&lt;name&gt;.v</c>,
/// metadata <c>step</c> and the Adam options).
/// </summary>
/// <remarks>
/// <para><b>One atomic unit.</b> <see cref="Save"/> writes both files into a fresh sibling directory
/// <c>&lt;dir&gt;.tmp-&lt;id&gt;</c>, flushes them to disk, then renames the current <c>&lt;dir&gt;</c> to
/// <c>&lt;dir&gt;.prev</c>, the new one to <c>&lt;dir&gt;</c>, and only then deletes <c>&lt;dir&gt;.prev</c>. A process
/// killed at any moment leaves either the old or the new checkpoint complete under <c>&lt;dir&gt;</c>, or (killed between
/// the two renames) the old one under <c>&lt;dir&gt;.prev</c>, which loading then uses (<see cref="Locate"/>); leftover
/// temporary directories are removed by the next save. A power loss is not covered: .NET cannot flush a directory entry.</para>
/// <para><b>Verified on load.</b> Both files carry the same <see cref="IdKey"/> (new for every save) and the step
/// (<see cref="StepKey"/> in the optimizer file, <see cref="ModelStepKey"/> in the model file), and each carries the
/// SHA-256 of its own bytes (<see cref="ChecksumKey"/>, computed with its value zeroed). Loading reads and checks
/// everything on the host before anything is copied to the device: every expected tensor present, no unexpected one,
/// dtype F32, exact shapes, the checksum, the step (0 ≤ step ≤ <see cref="MaxStep"/>), both files from the same save,
/// every value finite (and Adam's second moments ≥ 0). On any problem a <see cref="CheckpointException"/> names the
/// file and what is wrong, and the targets are left untouched, never half-loaded. <see cref="Save"/> refuses
/// non-finite values, so a diverged state is never written over a good checkpoint.</para>
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

    /// <summary>Metadata key of the optimizer's step count in <see cref="ModelFileName"/> (present when an optimizer was saved).</summary>
    public const string ModelStepKey = "checkpoint.step";

    /// <summary>Metadata key, in every file of a checkpoint, of the identifier shared by the files of one save.</summary>
    public const string IdKey = "checkpoint.id";

    /// <summary>Metadata key, in every file, of the lower-case hex SHA-256 of the file's bytes with this value zeroed.</summary>
    public const string ChecksumKey = "checkpoint.sha256";

    /// <summary>
    /// The largest step a checkpoint may hold, 2^53: the step enters the schedule and Adam's bias correction as a
    /// double, exact only up to 2^53, and no run comes near it (a larger value is a corrupt file).
    /// </summary>
    public const long MaxStep = 1L << 53;

    /// <summary>Prefix of the metadata keys this class writes itself; callers' metadata may not use it.</summary>
    public const string ReservedPrefix = "checkpoint.";

    private static readonly string ZeroChecksum = new('0', 64);

    /// <summary>
    /// Writes <see cref="ModelFileName"/> and, if <paramref name="optimizer"/> is given, <see cref="OptimizerFileName"/>
    /// as one new checkpoint at <paramref name="directory"/>, replacing the one there only once the new one is complete
    /// (see the class remarks).
    /// </summary>
    /// <param name="directory">The checkpoint directory. If it exists it must hold nothing but a checkpoint's files.</param>
    /// <param name="model">Its parameters are written under their names, in order.</param>
    /// <param name="metadata">String metadata stored in <see cref="ModelFileName"/> (hyper-parameters, architecture);
    /// keys non-empty and not starting with <see cref="ReservedPrefix"/>.</param>
    /// <param name="optimizer">The optimizer whose moments and step count to save, or null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="metadata"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is null or empty, the model's parameter names are not
    /// unique, or a metadata key is empty or reserved.</exception>
    /// <exception cref="CheckpointException">A parameter or optimizer moment is not finite (nothing is written).</exception>
    /// <exception cref="IOException">Writing failed (the previous checkpoint is kept), or <paramref name="directory"/>
    /// holds files that are not a checkpoint's.</exception>
    public static void Save(string directory, IModule model, IReadOnlyDictionary<string, string> metadata, AdamOptimizer? optimizer)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(metadata);
        Parameter[] parameters = ParameterChecks.Check(model.Parameters, nameof(model), null, requireNonEmpty: false);
        string id = Guid.NewGuid().ToString("N");

        var modelWriter = new SafeTensorsWriter();
        foreach (var (key, value) in metadata)
        {
            if (string.IsNullOrEmpty(key)) throw new ArgumentException("A metadata key is empty.", nameof(metadata));
            if (key.StartsWith(ReservedPrefix, StringComparison.Ordinal))
                throw new ArgumentException($"Metadata key '{key}' uses the reserved prefix '{ReservedPrefix}'.", nameof(metadata));
            modelWriter.AddMetadata(key, value ?? throw new ArgumentException($"Metadata '{key}' is null.", nameof(metadata)));
        }
        modelWriter.AddMetadata(IdKey, id);
        foreach (Parameter p in parameters)
        {
            p.Value.Accelerator.Synchronize();
            float[] values = p.Download();
            RequireFinite(values, p.Name, "refusing to save", mustBeNonNegative: false);
            modelWriter.Add(p.Name, values, p.Shape);
        }

        SafeTensorsWriter? optimizerWriter = null;
        if (optimizer is not null)
        {
            optimizer.Accelerator.Synchronize();
            optimizerWriter = new SafeTensorsWriter();
            AdamOptions o = optimizer.Options;
            string step = optimizer.StepCount.ToString(CultureInfo.InvariantCulture);
            modelWriter.AddMetadata(ModelStepKey, step);
            optimizerWriter.AddMetadata(IdKey, id);
            optimizerWriter.AddMetadata(StepKey, step);
            optimizerWriter.AddMetadata("learning_rate", o.LearningRate.ToString("R", CultureInfo.InvariantCulture));
            optimizerWriter.AddMetadata("beta1", o.Beta1.ToString("R", CultureInfo.InvariantCulture));
            optimizerWriter.AddMetadata("beta2", o.Beta2.ToString("R", CultureInfo.InvariantCulture));
            optimizerWriter.AddMetadata("epsilon", o.Epsilon.ToString("R", CultureInfo.InvariantCulture));
            optimizerWriter.AddMetadata("weight_decay", o.WeightDecay.ToString("R", CultureInfo.InvariantCulture));
            for (int k = 0; k < optimizer.State.Count; k++)
            {
                var (name, m, v) = optimizer.State[k];
                int[] shape = optimizer.Parameters[k].Shape;
                float[] mv = m.GetAsArray1D(), vv = v.GetAsArray1D();
                RequireFinite(mv, name + ".m", "refusing to save", mustBeNonNegative: false);
                RequireFinite(vv, name + ".v", "refusing to save", mustBeNonNegative: true);
                optimizerWriter.Add(name + ".m", mv, shape);
                optimizerWriter.Add(name + ".v", vv, shape);
            }
        }

        var files = new List<(string Name, byte[] Bytes)> { (ModelFileName, Seal(modelWriter)) };
        if (optimizerWriter is not null) files.Add((OptimizerFileName, Seal(optimizerWriter)));
        CheckpointDirectory.Replace(directory, files);
    }

    /// <summary>
    /// The directory a load of <paramref name="directory"/> reads: <paramref name="directory"/> itself, or, when it
    /// lacks <see cref="ModelFileName"/> but <c>&lt;directory&gt;.prev</c> has one (a save was killed between its two
    /// renames), that previous checkpoint.
    /// </summary>
    /// <param name="directory">The checkpoint directory.</param>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is null or empty.</exception>
    public static string Locate(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (File.Exists(Path.Combine(directory, ModelFileName))) return directory;
        string previous = CheckpointDirectory.PreviousOf(directory);
        return File.Exists(Path.Combine(previous, ModelFileName)) ? previous : directory;
    }

    /// <summary>
    /// Checks <see cref="ModelFileName"/> against <paramref name="model"/>'s parameters and, only if everything matches,
    /// copies the values into them.
    /// </summary>
    /// <param name="directory">The checkpoint directory (see <see cref="Locate"/>).</param>
    /// <param name="model">Receives the values.</param>
    /// <returns>The caller's metadata (without the <see cref="ReservedPrefix"/> keys).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is null or empty, or the model's parameter names are not unique.</exception>
    /// <exception cref="CheckpointException">The file is missing, malformed, corrupt or does not match; the model is unchanged.</exception>
    public static IReadOnlyDictionary<string, string> LoadModel(string directory, IModule model)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(model);
        Parameter[] parameters = ParameterChecks.Check(model.Parameters, nameof(model), null, requireNonEmpty: false);
        var (file, values) = ReadModel(Locate(directory), parameters);
        for (int k = 0; k < parameters.Length; k++)
            parameters[k].Upload(values[k]);
        return CallerMetadata(file);
    }

    /// <summary>
    /// Checks <see cref="OptimizerFileName"/> against <paramref name="optimizer"/> (tensors <c>&lt;name&gt;.m</c> and
    /// <c>&lt;name&gt;.v</c> per parameter, metadata <see cref="StepKey"/> an integer in [0, <see cref="MaxStep"/>], the same
    /// save as <see cref="ModelFileName"/> beside it) and, only if everything matches, copies the moments in and sets
    /// <see cref="AdamOptimizer.StepCount"/>. The stored Adam options are informational: the optimizer keeps its own.
    /// </summary>
    /// <param name="directory">The checkpoint directory (see <see cref="Locate"/>).</param>
    /// <param name="optimizer">Receives the state.</param>
    /// <exception cref="ArgumentNullException"><paramref name="optimizer"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is null or empty.</exception>
    /// <exception cref="CheckpointException">A file is missing, malformed, corrupt or does not match; the optimizer is unchanged.</exception>
    public static void LoadOptimizer(string directory, AdamOptimizer optimizer)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(optimizer);
        string located = Locate(directory);
        var model = ReadVerified(Path.Combine(located, ModelFileName));
        var (step, values) = ReadOptimizer(located, optimizer, model);
        Apply(optimizer, step, values);
    }

    /// <summary>
    /// Loads model and optimizer together: both files are read and checked completely (as by <see cref="LoadModel"/>
    /// and <see cref="LoadOptimizer"/>) before either target is changed.
    /// </summary>
    /// <param name="directory">The checkpoint directory (see <see cref="Locate"/>).</param>
    /// <param name="model">Receives the parameters.</param>
    /// <param name="optimizer">Receives the optimizer state.</param>
    /// <returns>The caller's metadata (without the <see cref="ReservedPrefix"/> keys).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="optimizer"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is null or empty, or the model's parameter names are not unique.</exception>
    /// <exception cref="CheckpointException">A file is missing, malformed, corrupt or does not match; nothing is changed.</exception>
    public static IReadOnlyDictionary<string, string> Load(string directory, IModule model, AdamOptimizer optimizer)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        Parameter[] parameters = ParameterChecks.Check(model.Parameters, nameof(model), null, requireNonEmpty: false);
        string located = Locate(directory);
        var (file, values) = ReadModel(located, parameters);
        var (step, moments) = ReadOptimizer(located, optimizer, file);
        for (int k = 0; k < parameters.Length; k++)
            parameters[k].Upload(values[k]);
        Apply(optimizer, step, moments);
        return CallerMetadata(file);
    }

    /// <summary>
    /// Checks the checkpoint as a whole without loading it: <see cref="ModelFileName"/>'s checksum and, when
    /// <see cref="OptimizerFileName"/> is present beside it, its checksum, step range, and that both come from the same
    /// save at the same step. For readers that use only the model (evaluation), so that a torn or mixed checkpoint is
    /// refused there too.
    /// </summary>
    /// <param name="directory">The checkpoint directory (see <see cref="Locate"/>).</param>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is null or empty.</exception>
    /// <exception cref="CheckpointException">A file is missing, malformed or corrupt, or the files do not belong together.</exception>
    public static void Verify(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string located = Locate(directory);
        var model = ReadVerified(Path.Combine(located, ModelFileName));
        string optimizerPath = Path.Combine(located, OptimizerFileName);
        if (!File.Exists(optimizerPath)) return;
        var optimizer = ReadVerified(optimizerPath);
        long step = ParseStep(optimizer.Metadata, StepKey, optimizerPath);
        if (optimizer.Metadata.GetValueOrDefault(IdKey) != model.Metadata.GetValueOrDefault(IdKey))
            throw new CheckpointException($"Checkpoint '{located}': {OptimizerFileName} and {ModelFileName} come from different saves (a torn or mixed checkpoint).", IdKey);
        if (!model.Metadata.ContainsKey(ModelStepKey) || ParseStep(model.Metadata, ModelStepKey, Path.Combine(located, ModelFileName)) != step)
            throw new CheckpointException($"Checkpoint '{located}': {OptimizerFileName} is at step {step} but {ModelFileName} is not (a torn or mixed checkpoint).", StepKey);
    }

    /// <summary>The caller's metadata of <see cref="ModelFileName"/> in <paramref name="directory"/> (see <see cref="Locate"/>), after checking its checksum.</summary>
    /// <param name="directory">The checkpoint directory.</param>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is null or empty.</exception>
    /// <exception cref="CheckpointException">The file is missing, malformed or corrupt.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return CallerMetadata(ReadVerified(Path.Combine(Locate(directory), ModelFileName)));
    }

    private static (SafeTensorsFile File, float[][] Values) ReadModel(string directory, Parameter[] parameters)
    {
        string path = Path.Combine(directory, ModelFileName);
        SafeTensorsFile file = ReadVerified(path, parameters.Select(p => (p.Name, p.Shape)).ToArray());
        float[][] values = ReadAll(file, parameters.Select(p => (p.Name, p.Shape)).ToArray(), path);
        for (int k = 0; k < parameters.Length; k++)
            RequireFinite(values[k], parameters[k].Name, $"Checkpoint '{path}'", mustBeNonNegative: false);
        return (file, values);
    }

    private static (long Step, float[][] Values) ReadOptimizer(string directory, AdamOptimizer optimizer, SafeTensorsFile model)
    {
        string path = Path.Combine(directory, OptimizerFileName);
        var expected = new List<(string Name, int[] Shape)>();
        foreach (Parameter p in optimizer.Parameters)
        {
            expected.Add((p.Name + ".m", p.Shape));
            expected.Add((p.Name + ".v", p.Shape));
        }
        SafeTensorsFile file = ReadVerified(path, expected);
        long step = ParseStep(file.Metadata, StepKey, path);
        string modelPath = Path.Combine(directory, ModelFileName);
        string? optimizerId = file.Metadata.GetValueOrDefault(IdKey), modelId = model.Metadata.GetValueOrDefault(IdKey);
        if (optimizerId != modelId)
            throw new CheckpointException($"Checkpoint '{directory}': {OptimizerFileName} (save {optimizerId}) and {ModelFileName} (save {modelId}) "
                + "come from different saves (a torn or mixed checkpoint).", IdKey);
        if (!model.Metadata.ContainsKey(ModelStepKey))
            throw new CheckpointException($"Checkpoint '{modelPath}': metadata '{ModelStepKey}' expected (the file was saved without an optimizer), found nothing.", ModelStepKey);
        long modelStep = ParseStep(model.Metadata, ModelStepKey, modelPath);
        if (modelStep != step)
            throw new CheckpointException($"Checkpoint '{directory}': {OptimizerFileName} is at step {step} but {ModelFileName} at step {modelStep} (a torn or mixed checkpoint).", StepKey);
        float[][] values = ReadAll(file, expected, path);
        for (int k = 0; k < values.Length; k++)
            RequireFinite(values[k], expected[k].Name, $"Checkpoint '{path}'", mustBeNonNegative: k % 2 == 1);
        return (step, values);
    }

    private static void Apply(AdamOptimizer optimizer, long step, float[][] values)
    {
        for (int k = 0; k < optimizer.State.Count; k++)
        {
            optimizer.State[k].M.CopyFromCPU(values[2 * k]);
            optimizer.State[k].V.CopyFromCPU(values[2 * k + 1]);
        }
        optimizer.StepCount = step;
    }

    private static long ParseStep(IReadOnlyDictionary<string, string> metadata, string key, string path)
    {
        if (!metadata.TryGetValue(key, out string? text))
            throw new CheckpointException($"Checkpoint '{path}': metadata '{key}' expected, found nothing.", key);
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long step) || step > MaxStep)
            throw new CheckpointException($"Checkpoint '{path}': metadata '{key}' expected an integer from 0 to 2^53, found '{text}'.", key);
        return step;
    }

    private static IReadOnlyDictionary<string, string> CallerMetadata(SafeTensorsFile file) =>
        file.Metadata.Where(kv => !kv.Key.StartsWith(ReservedPrefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);

    /// <summary>
    /// Reads and parses <paramref name="path"/>, checks its tensors against <paramref name="expected"/> (when given), then its
    /// checksum. Structure is checked first so that a file of the wrong model says which tensor differs.
    /// </summary>
    private static SafeTensorsFile ReadVerified(string path, IReadOnlyList<(string Name, int[] Shape)>? expected = null)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException ex)
        {
            throw new CheckpointException($"Checkpoint file '{path}' was not found.", Path.GetFileName(path), ex);
        }
        catch (DirectoryNotFoundException ex)
        {
            throw new CheckpointException($"Checkpoint file '{path}' was not found (no such directory).", Path.GetFileName(path), ex);
        }
        SafeTensorsFile file;
        try
        {
            file = SafeTensorsFile.Parse(bytes, path);
        }
        catch (SafeTensorsFormatException ex)
        {
            throw new CheckpointException($"Checkpoint file '{path}' is not a valid safetensors file: {ex.Message}", ex.TensorName ?? Path.GetFileName(path), ex);
        }
        if (expected is not null) CheckTensors(file, expected, path);
        if (file.Metadata.TryGetValue(StepKey, out _) && Path.GetFileName(path) == OptimizerFileName) ParseStep(file.Metadata, StepKey, path);
        VerifyChecksum(bytes, file, path);
        return file;
    }

    /// <summary>Writes the file with a zeroed checksum, hashes it, and writes the hash into the zeroed place (same length).</summary>
    private static byte[] Seal(SafeTensorsWriter writer)
    {
        writer.AddMetadata(ChecksumKey, ZeroChecksum);
        byte[] bytes = writer.ToArray();
        int at = FindChecksumValue(bytes, ZeroChecksum) ?? throw new InvalidOperationException("the checksum placeholder is not in the header exactly once.");
        byte[] hash = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(bytes)));
        hash.CopyTo(bytes, at);
        return bytes;
    }

    private static void VerifyChecksum(byte[] bytes, SafeTensorsFile file, string path)
    {
        if (!file.Metadata.TryGetValue(ChecksumKey, out string? stored))
            throw new CheckpointException($"Checkpoint file '{path}' has no checksum ('{ChecksumKey}'): not written by this version's Checkpoint.Save.", ChecksumKey);
        int? at = stored.Length == 64 && stored.All(char.IsAsciiHexDigitLower) ? FindChecksumValue(bytes, stored) : null;
        if (at is not int offset)
            throw new CheckpointException($"Checkpoint file '{path}': metadata '{ChecksumKey}' is malformed.", ChecksumKey);
        var copy = (byte[])bytes.Clone();
        Encoding.ASCII.GetBytes(ZeroChecksum).CopyTo(copy, offset);
        string actual = Convert.ToHexStringLower(SHA256.HashData(copy));
        if (actual != stored)
            throw new CheckpointException($"Checkpoint file '{path}' is corrupt: its SHA-256 is {actual[..12]}…, the file says {stored[..12]}….", ChecksumKey);
    }

    /// <summary>The offset of <c>"value"</c>'s characters within the JSON header, when they occur there exactly once.</summary>
    private static int? FindChecksumValue(byte[] bytes, string value)
    {
        if (bytes.Length < 8) return null;
        long headerLength = BitConverter.ToInt64(bytes, 0);
        if (headerLength <= 0 || headerLength > bytes.Length - 8) return null;
        var header = bytes.AsSpan(8, (int)headerLength);
        byte[] needle = Encoding.ASCII.GetBytes("\"" + value + "\"");
        int first = header.IndexOf(needle);
        if (first < 0 || header[(first + 1)..].IndexOf(needle) >= 0) return null;
        return 8 + first + 1;
    }

    private static void RequireFinite(float[] values, string tensor, string context, bool mustBeNonNegative)
    {
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (!float.IsFinite(v) || (mustBeNonNegative && v < 0))
                throw new CheckpointException($"{context}: tensor '{tensor}' holds {v.ToString(CultureInfo.InvariantCulture)} at index {i}"
                    + (mustBeNonNegative ? " (Adam's second moments must be finite and ≥ 0)." : " (values must be finite)."), tensor);
        }
    }

    /// <summary>Checks every tensor against <paramref name="expected"/>; all problems in one exception.</summary>
    private static void CheckTensors(SafeTensorsFile file, IReadOnlyList<(string Name, int[] Shape)> expected, string path)
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
    }

    private static float[][] ReadAll(SafeTensorsFile file, IReadOnlyList<(string Name, int[] Shape)> expected, string path)
    {
        CheckTensors(file, expected, path);
        var values = new float[expected.Count][];
        for (int k = 0; k < values.Length; k++)
            values[k] = file.ReadFloat32(expected[k].Name, out _);
        return values;
    }

    private static string ShapeText(int[] shape) => "[" + string.Join(",", shape) + "]";
}
