namespace FastWeights.Model.Parameters;

/// <summary>Something with trainable parameters: a layer, or a model made of layers.</summary>
public interface IModule
{
    /// <summary>The module's parameters, in a fixed order (checkpoints and the optimizer rely on it).</summary>
    IReadOnlyList<Parameter> Parameters { get; }
}
