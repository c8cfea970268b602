namespace FastWeights.Tests.Support;

/// <summary>A fixture that works in a fresh temporary folder (<see cref="root"/>), made once and removed with everything in it.</summary>
public abstract class TempFolderFixture(string prefix)
{
    protected string root = "";

    [OneTimeSetUp]
    public void MakeFolder() => root = Directory.CreateTempSubdirectory(prefix).FullName;

    [OneTimeTearDown]
    public void RemoveFolder() => Directory.Delete(root, recursive: true);
}
