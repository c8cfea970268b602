using ScottPlot;

namespace FastWeights.Bench.Reporting;

/// <summary>
/// The curves of one run as a PNG with two panels side by side: loss against step (train and
/// validation) and accuracy in percent against step (train and validation). Rendered off-screen.
/// </summary>
internal static class RunPlot
{
    /// <summary>Writes the figure to <paramref name="path"/>.</summary>
    /// <param name="path">PNG file to write.</param>
    /// <param name="records">The run's metrics rows, in step order.</param>
    /// <param name="title">Optional caption, prefixed to both panel titles.</param>
    /// <param name="width">Figure width in pixels.</param>
    /// <param name="height">Figure height in pixels.</param>
    public static void Save(string path, IReadOnlyList<MetricsRecord> records, string? title = null, int width = 1200, int height = 450)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(records);
        var figure = PlotFigures.TwoStepPanels(title, ("loss", "loss"), ("accuracy", "accuracy (%)"), out var loss, out var accuracy);

        var train = PlotFigures.Palette.GetColor(0);
        var validation = PlotFigures.Palette.GetColor(1);
        PlotFigures.Line(loss, records, r => r.TrainLoss, "train", train);
        PlotFigures.Line(loss, records, r => r.ValidationLoss, "validation", validation);
        PlotFigures.Line(accuracy, records, r => 100 * r.TrainAccuracy, "train", train);
        PlotFigures.Line(accuracy, records, r => 100 * r.ValidationAccuracy, "validation", validation);
        PlotFigures.Finish(loss, Alignment.UpperRight);
        PlotFigures.Finish(accuracy, Alignment.LowerRight);
        figure.SavePng(path, width, height);
    }
}

/// <summary>
/// Several runs on one figure, as for a Table-1-style comparison: validation accuracy (%) against step
/// and validation loss against step, one colour per run, labelled in the legend.
/// </summary>
internal static class ComparePlot
{
    /// <summary>Writes the figure to <paramref name="path"/>.</summary>
    /// <param name="path">PNG file to write.</param>
    /// <param name="runs">Label → that run's metrics rows, drawn in the order given.</param>
    /// <param name="title">Optional caption, prefixed to both panel titles.</param>
    /// <param name="width">Figure width in pixels.</param>
    /// <param name="height">Figure height in pixels.</param>
    public static void Save(
        string path,
        IEnumerable<KeyValuePair<string, IReadOnlyList<MetricsRecord>>> runs,
        string? title = null,
        int width = 1400,
        int height = 500)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(runs);
        var figure = PlotFigures.TwoStepPanels(title, ("validation accuracy", "accuracy (%)"), ("validation loss", "loss"), out var accuracy, out var loss);
        int index = 0;
        foreach (var (label, records) in runs)
        {
            ArgumentNullException.ThrowIfNull(records);
            var color = PlotFigures.Palette.GetColor(index++);
            PlotFigures.Line(accuracy, records, r => 100 * r.ValidationAccuracy, label, color);
            PlotFigures.Line(loss, records, r => r.ValidationLoss, label, color);
        }
        PlotFigures.Finish(accuracy, Alignment.LowerRight);
        PlotFigures.Finish(loss, Alignment.UpperRight);
        figure.SavePng(path, width, height);
    }
}

/// <summary>Shared pieces of <see cref="RunPlot"/> and <see cref="ComparePlot"/>.</summary>
internal static class PlotFigures
{
    /// <summary>Colours of the series, in order.</summary>
    public static readonly IPalette Palette = new ScottPlot.Palettes.Category10();

    /// <summary>A figure of two plots side by side.</summary>
    public static Multiplot TwoPanels(out Plot left, out Plot right)
    {
        // A new Multiplot already holds one plot; AddPlots(n) brings the total up to n.
        var figure = new Multiplot();
        figure.AddPlots(2);
        figure.Layout = new ScottPlot.MultiplotLayouts.Columns();
        left = figure.GetPlot(0);
        right = figure.GetPlot(1);
        return figure;
    }

    /// <summary>
    /// <see cref="TwoPanels"/> against step, each panel styled (<see cref="Style"/>) with its title, prefixed by
    /// <paramref name="title"/> and ": " when one is given, and its y label.
    /// </summary>
    public static Multiplot TwoStepPanels(string? title, (string Title, string YLabel) leftStyle, (string Title, string YLabel) rightStyle,
        out Plot left, out Plot right)
    {
        var figure = TwoPanels(out left, out right);
        string prefix = string.IsNullOrWhiteSpace(title) ? "" : title + ": ";
        Style(left, prefix + leftStyle.Title, leftStyle.YLabel);
        Style(right, prefix + rightStyle.Title, rightStyle.YLabel);
        return figure;
    }

    /// <summary>Titles and axis labels.</summary>
    public static void Style(Plot plot, string title, string yLabel)
    {
        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel(yLabel);
    }

    /// <summary>
    /// A line of <paramref name="value"/> against step over the rows where it is present and finite
    /// (nothing when there are none).
    /// </summary>
    public static void Line(Plot plot, IReadOnlyList<MetricsRecord> records, Func<MetricsRecord, double?> value, string label, Color color)
    {
        var xs = new List<double>(records.Count);
        var ys = new List<double>(records.Count);
        foreach (var record in records)
        {
            if (value(record) is not { } y || !double.IsFinite(y)) continue;
            xs.Add(record.Step);
            ys.Add(y);
        }
        if (xs.Count == 0) return;
        var line = plot.Add.ScatterLine(xs.ToArray(), ys.ToArray(), color);
        line.LineWidth = 2;
        line.LegendText = label;
        if (xs.Count == 1) line.MarkerSize = 6; // a lone point would otherwise be invisible
    }

    /// <summary>Shows the legend when there is something in it.</summary>
    public static void Finish(Plot plot, Alignment legendAt)
    {
        if (plot.GetPlottables().Any()) plot.ShowLegend(legendAt);
    }
}
