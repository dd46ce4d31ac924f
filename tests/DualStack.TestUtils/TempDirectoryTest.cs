using Microsoft.Data.Sqlite;
using NUnit.Framework;

namespace DualStack.TestUtils;

/// <summary>
/// Base of a test class whose tests each get a fresh temp folder (<see cref="Dir"/>), deleted afterwards, and a
/// capture store path inside it. SQLite's connection pools are cleared first, so no pooled handle keeps a file open.
/// </summary>
public abstract class TempDirectoryTest
{
    /// <summary>This test's folder, named after the test class.</summary>
    protected string Dir { get; private set; } = null!;

    /// <summary><c>captures.db</c> in <see cref="Dir"/> (not created).</summary>
    protected string StorePath => Path.Combine(Dir, "captures.db");

    /// <summary>Creates the folder.</summary>
    [SetUp]
    public void CreateTempDirectory() => Dir = Directory.CreateTempSubdirectory(GetType().Name.ToLowerInvariant() + "-").FullName;

    /// <summary>Deletes the folder and everything in it.</summary>
    [TearDown]
    public void DeleteTempDirectory()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(Dir, recursive: true);
    }
}
