namespace FastWeights.Tests.Support;

/// <summary>
/// A fixture that works in a fresh temporary folder (<see cref="root"/>), removed with everything in it: one for the
/// whole fixture, or with <paramref name="perTest"/> one for each test.
/// </summary>
public abstract class TempFolderFixture(string prefix, bool perTest = false)
{
    protected string root = "";

    [OneTimeSetUp]
    public void MakeFolder()
    {
        if (!perTest) root = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    [SetUp]
    public void MakeTestFolder()
    {
        if (perTest) root = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    [TearDown]
    public void RemoveTestFolder()
    {
        if (perTest) Directory.Delete(root, recursive: true);
    }

    [OneTimeTearDown]
    public void RemoveFolder()
    {
        if (!perTest) Directory.Delete(root, recursive: true);
    }
}
