using Npgsql;

namespace DualStack.Core.Postgres;

/// <summary>
/// Versioned schema migrations, one version counter per component (<c>captures</c>, <c>split</c>, <c>replay</c>) in
/// <c>dualstack_schema</c>. Each component's migrations run in order, in one transaction, under a transaction-level
/// advisory lock, so N instances starting at once migrate exactly once; a database with a newer version than this
/// build knows is refused.
/// </summary>
internal static class PostgresSchema
{
    // Arbitrary constant: the advisory lock key all DualStack migrations share.
    private const long LockKey = 0x4475616C537461;

    /// <summary>Brings <paramref name="component"/> to <c>migrations.Count</c> (migration i creates version i + 1).</summary>
    public static async Task MigrateAsync(NpgsqlDataSource dataSource, string component, IReadOnlyList<string> migrations, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({LockKey})", cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection, "CREATE TABLE IF NOT EXISTS dualstack_schema (component text PRIMARY KEY, version integer NOT NULL, migrated_at timestamptz NOT NULL DEFAULT now())", cancellationToken).ConfigureAwait(false);
                await using var read = new NpgsqlCommand("SELECT version FROM dualstack_schema WHERE component = @c", connection);
                read.Parameters.AddWithValue("c", component);
                var version = await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int v ? v : 0;
                if (version > migrations.Count)
                {
                    throw new InvalidDataException($"PostgreSQL schema of '{component}' is at version {version}; this build knows up to {migrations.Count}");
                }

                for (var i = version; i < migrations.Count; i++)
                {
                    await ExecuteAsync(connection, migrations[i], cancellationToken).ConfigureAwait(false);
                }

                if (version < migrations.Count)
                {
                    await using var write = new NpgsqlCommand(
                        "INSERT INTO dualstack_schema (component, version) VALUES (@c, @v) ON CONFLICT (component) DO UPDATE SET version = excluded.version, migrated_at = now()",
                        connection);
                    write.Parameters.AddWithValue("c", component);
                    write.Parameters.AddWithValue("v", migrations.Count);
                    await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
