namespace FastWeights.Tests.Support;

/// <summary>
/// Windows in time of (batch, time, width) row-major sequences, for the tests that split one call into two with the
/// state carried over, and the check that the two calls together equal the one.
/// </summary>
public static class TimeWindows
{
    /// <summary>The steps [<paramref name="from"/>, <paramref name="from"/> + <paramref name="count"/>) of every sequence of <paramref name="a"/>.</summary>
    public static T[] Slice<T>(T[] a, int batch, int time, int width, int from, int count)
    {
        var result = new T[batch * count * width];
        for (int b = 0; b < batch; b++)
            Array.Copy(a, (b * time + from) * width, result, b * count * width, count * width);
        return result;
    }

    /// <summary>The sequences whose first <paramref name="split"/> steps are <paramref name="first"/>'s and the rest <paramref name="second"/>'s.</summary>
    public static float[] Join(float[] first, float[] second, int batch, int time, int split, int width)
    {
        var joined = new float[batch * time * width];
        for (int b = 0; b < batch; b++)
        {
            Array.Copy(first, b * split * width, joined, b * time * width, split * width);
            Array.Copy(second, b * (time - split) * width, joined, (b * time + split) * width, (time - split) * width);
        }
        return joined;
    }

    /// <summary>
    /// Asserts that two calls, steps [0, <paramref name="split"/>) as <paramref name="first"/> and the rest as
    /// <paramref name="second"/> with the state carried between them, equal the one call <paramref name="whole"/>, each
    /// tensor within <paramref name="tolerance"/> relative L2: y and dx joined in time; each of <paramref name="finalStates"/>
    /// from the second call; the gradient of each of <paramref name="initialStates"/> from the first; each of
    /// <paramref name="weights"/>' gradients the sum of the two calls'. Results are keyed by the runners' names.
    /// </summary>
    public static void AssertTwoCallsEqualOne(
        Dictionary<string, float[]> first, Dictionary<string, float[]> second, Dictionary<string, float[]> whole,
        (int Batch, int Time, int Split, int Input, int Hidden) size,
        IEnumerable<string> finalStates, IEnumerable<string> initialStates, IEnumerable<string> weights, double tolerance)
    {
        var (batch, time, split, input, hidden) = size;
        var y = Join(first["y"], second["y"], batch, time, split, hidden);
        var x = Join(first["x"], second["x"], batch, time, split, input);
        Assert.Multiple(() =>
        {
            AssertCarried("y", y, whole["y"], tolerance);
            foreach (var name in finalStates) AssertCarried(name, second[name], whole[name], tolerance);
            AssertCarried("dx", x, whole["x"], tolerance);
            foreach (var name in initialStates) AssertCarried("d" + name, first[name], whole[name], tolerance);
            foreach (var name in weights)
                AssertCarried("d" + name, first[name].Zip(second[name], (p, q) => p + q).ToArray(), whole[name], tolerance);
        });
    }

    public static double[] D(float[] a) => Array.ConvertAll(a, v => (double)v);

    /// <summary>Asserts <paramref name="actual"/> within <paramref name="tolerance"/> relative L2 of <paramref name="expected"/>; prints the error.</summary>
    public static void AssertCarried(string name, float[] actual, float[] expected, double tolerance)
    {
        double err = Tolerance.RelativeL2(D(actual), D(expected));
        TestContext.Out.WriteLine($"{name}: {err:E2}");
        Assert.That(err, Is.LessThanOrEqualTo(tolerance), $"{name}: relative L2 error {err:E2}");
    }
}
