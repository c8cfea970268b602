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

    public static double[] D(float[] a) => Array.ConvertAll(a, v => (double)v);

    /// <summary>Asserts <paramref name="actual"/> within <paramref name="tolerance"/> relative L2 of <paramref name="expected"/>; prints the error.</summary>
    public static void AssertCarried(string name, float[] actual, float[] expected, double tolerance)
    {
        double err = Tolerance.RelativeL2(D(actual), D(expected));
        TestContext.Out.WriteLine($"{name}: {err:E2}");
        Assert.That(err, Is.LessThanOrEqualTo(tolerance), $"{name}: relative L2 error {err:E2}");
    }
}
