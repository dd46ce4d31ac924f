using DualStack.TestUtils;

namespace DualStack.Core.Tests;

/// <summary>Stops the private PostgreSQL cluster the tests of this assembly started, if any.</summary>
[SetUpFixture]
public sealed class PostgresSetUp : PostgresTearDown;
