using FastWeights.Kernels.LinearFastWeights;
using FastWeights.Model.Layers;
using FastWeights.Model.Tasks.Retrieval;
using FastWeights.Model.Training;

namespace FastWeights.Bench.Cli;

/// <summary>The model-kind and feature-map flags shared by `retrieval` and `lm`, read into one-line input errors.</summary>
internal static class ModelOptions
{
    /// <summary>--model NAME → the recurrent kind, or a one-line error naming --model.</summary>
    public static RecurrentKind ParseKind(string name)
    {
        try { return RetrievalModelConfig.ParseKind(name); }
        catch (ArgumentException e) { throw new CommandInputException("--model: " + CommandErrors.WithoutParameterName(e)); }
    }

    /// <summary>--feature-map NAME → the DPFP map, or a one-line error naming --feature-map.</summary>
    public static FeatureMap ParseMap(string name)
    {
        try { return RetrievalModelConfig.ParseMap(name); }
        catch (ArgumentException e) { throw new CommandInputException("--feature-map: " + CommandErrors.WithoutParameterName(e)); }
    }

    /// <summary>
    /// The shape of a learning-rate schedule by the name --lr-decay and checkpoints (train.lr_decay) use: constant, linear
    /// or cosine; false for any other name.
    /// </summary>
    public static bool TryParseSchedule(string name, out LearningRateAnnealing schedule)
    {
        (bool known, schedule) = name switch
        {
            "constant" => (true, LearningRateAnnealing.Constant),
            "linear" => (true, LearningRateAnnealing.Linear),
            "cosine" => (true, LearningRateAnnealing.Cosine),
            _ => (false, default),
        };
        return known;
    }
}
