namespace FastWeights.Tests.Support;

/// <summary>
/// A fresh temporary folder path (<paramref name="prefix"/> and a new GUID under the system's temp folder) for one test,
/// removed with everything in it when disposed. Not created unless <paramref name="create"/>: most code under test
/// creates the folder it is given. For a folder per fixture (or per test, as a base class) see <see cref="TempFolderFixture"/>.
/// </summary>
public sealed class TempFolder(string prefix, bool create = false) : IDisposable
{
    /// <summary>The folder's full path.</summary>
    public string Path { get; } = Make(prefix, create);

    private static string Make(string prefix, bool create)
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N"));
        if (create) Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Removes the folder and everything in it, if it exists.</summary>
    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
