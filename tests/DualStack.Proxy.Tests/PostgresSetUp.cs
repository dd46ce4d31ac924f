using DualStack.TestUtils;

namespace DualStack.Proxy.Tests;

/// <summary>Stops the private PostgreSQL cluster the tests of this assembly started, if any.</summary>
[SetUpFixture]
public sealed class PostgresSetUp : PostgresTearDown;
