using NUnit.Framework;

namespace DualStack.TestUtils;

/// <summary>
/// Stops the private PostgreSQL cluster a test assembly started, if any. NUnit finds set-up fixtures only in the test
/// assembly, so each one declares <c>[SetUpFixture] public sealed class PostgresSetUp : PostgresTearDown;</c> in its
/// root namespace.
/// </summary>
public abstract class PostgresTearDown
{
    /// <summary>After the assembly's last test.</summary>
    [OneTimeTearDown]
    public Task StopCluster() => PostgresCluster.StopSharedAsync();
}
