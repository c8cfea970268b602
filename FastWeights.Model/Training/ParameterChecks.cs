using FastWeights.Model.Parameters;

namespace FastWeights.Model.Training;

/// <summary>Boundary checks shared by the optimizer, the gradient norm and checkpoints.</summary>
internal static class ParameterChecks
{
    /// <summary>
    /// Non-null, non-empty (when <paramref name="requireNonEmpty"/>), no null entry, unique names, and (when
    /// <paramref name="accelerator"/> is given) every buffer on that accelerator. Returns a copy of the list.
    /// </summary>
    public static Parameter[] Check(IReadOnlyList<Parameter> parameters, string argumentName, Accelerator? accelerator, bool requireNonEmpty = true)
    {
        if (parameters is null) throw new ArgumentNullException(argumentName);
        if (requireNonEmpty && parameters.Count == 0)
            throw new ArgumentException("The parameter list is empty.", argumentName);
        var copy = new Parameter[parameters.Count];
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int k = 0; k < copy.Length; k++)
        {
            Parameter p = parameters[k] ?? throw new ArgumentException($"Parameter {k} is null.", argumentName);
            if (!names.Add(p.Name))
                throw new ArgumentException($"Duplicate parameter name '{p.Name}' (at index {k}).", argumentName);
            if (accelerator is not null && (p.Value.Accelerator != accelerator || p.Grad.Accelerator != accelerator))
                throw new ArgumentException($"Parameter '{p.Name}' lives on another accelerator than '{accelerator.Name}'.", argumentName);
            copy[k] = p;
        }
        return copy;
    }

    /// <summary>The stream is non-null and belongs to <paramref name="accelerator"/>.</summary>
    public static void CheckStream(AcceleratorStream stream, Accelerator accelerator, string argumentName)
    {
        if (stream is null) throw new ArgumentNullException(argumentName);
        if (stream.Accelerator != accelerator)
            throw new ArgumentException($"The stream belongs to '{stream.Accelerator.Name}', not to '{accelerator.Name}'.", argumentName);
    }
}
