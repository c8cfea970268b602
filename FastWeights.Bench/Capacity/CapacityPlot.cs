using FastWeights.Bench.Reporting;
using FastWeights.Kernels.LinearFastWeights;
using ScottPlot;

namespace FastWeights.Bench.Capacity;

/// <summary>
/// The capacity curves as a PNG with two panels: mean squared retrieval error and the fraction retrieved nearest to its
/// own value, each against n/d' (pairs per memory column), one colour per feature map, solid for the delta rule and
/// dashed for the sum rule. Rendered off-screen.
/// </summary>
internal static class CapacityPlot
{
    /// <summary>Writes the figure to <paramref name="path"/>.</summary>
    /// <param name="path">PNG file to write.</param>
    /// <param name="points">The measured points.</param>
    /// <param name="title">Caption prefixed to both panel titles.</param>
    public static void Save(string path, IReadOnlyList<CapacityPoint> points, string title)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(points);
        var figure = PlotFigures.TwoPanels(out var error, out var retrieved);
        error.Title(title + ": retrieval error");
        error.XLabel("pairs per feature, n / d'");
        error.YLabel("mean |y − v|²");
        retrieved.Title(title + ": retrieved");
        retrieved.XLabel("pairs per feature, n / d'");
        retrieved.YLabel("nearest to its own value (%)");
        int colour = 0;
        foreach (var map in points.Select(p => p.Map).Distinct())
        {
            var color = PlotFigures.Palette.GetColor(colour++);
            foreach (var rule in new[] { UpdateRule.Delta, UpdateRule.Sum })
            {
                var curve = points.Where(p => p.Map == map && p.Rule == rule).OrderBy(p => p.Pairs).ToArray();
                if (curve.Length == 0) continue;
                string label = $"{RuleName(rule)} {MapName(map)} (d'={curve[0].FeatureSize})";
                double[] xs = curve.Select(p => (double)p.Pairs / p.FeatureSize).ToArray();
                Add(error, xs, curve.Select(p => p.MeanSquaredError).ToArray(), label, color, rule);
                Add(retrieved, xs, curve.Select(p => 100 * p.RetrievedFraction).ToArray(), label, color, rule);
            }
        }
        PlotFigures.Finish(error, Alignment.UpperLeft);
        PlotFigures.Finish(retrieved, Alignment.UpperRight);
        figure.SavePng(path, 1400, 520);
    }

    private static void Add(Plot plot, double[] xs, double[] ys, string label, Color color, UpdateRule rule)
    {
        var line = plot.Add.ScatterLine(xs, ys, color);
        line.LineWidth = 2;
        line.MarkerSize = 4;
        line.LegendText = label;
        if (rule == UpdateRule.Sum) line.LinePattern = LinePattern.Dashed;
    }

    /// <summary>sum | delta.</summary>
    public static string RuleName(UpdateRule rule) => rule == UpdateRule.Delta ? "delta" : "sum";

    /// <summary>dpfp1 | dpfp2 | dpfp3.</summary>
    public static string MapName(FeatureMap map) => $"dpfp{map.DpfpOrder()}";
}
