namespace FastWeights.Tests.Support;

/// <summary>How the boundary tests assert a rejected call: the exception type, the argument it names, and what it left.</summary>
public static class Rejections
{
    /// <summary>Asserts <paramref name="call"/> throws <typeparamref name="TException"/> whose ParamName and message name <paramref name="name"/>.</summary>
    public static void AssertNames<TException>(Action call, string name) where TException : ArgumentException
    {
        var ex = Assert.Throws<TException>(() => call())!;
        Assert.That(ex.ParamName, Is.EqualTo(name), ex.Message);
        Assert.That(ex.Message, Does.Contain(name));
    }

    /// <summary>Asserts <paramref name="call"/> throws <see cref="ObjectDisposedException"/> naming <paramref name="name"/>.</summary>
    public static void AssertDisposed(Action call, string name)
    {
        var ex = Assert.Throws<ObjectDisposedException>(() => call())!;
        Assert.That(ex.ObjectName, Is.EqualTo(name), ex.Message);
    }

    /// <summary>9.6e6 + 977k: values no layer writes, distinct per element.</summary>
    public static float[] Sentinel(int length)
    {
        var s = new float[length];
        for (int k = 0; k < length; k++) s[k] = 9.6e6f + 977 * k;
        return s;
    }

    public static int[] Bits(float[] a) => Array.ConvertAll(a, BitConverter.SingleToInt32Bits);
}
