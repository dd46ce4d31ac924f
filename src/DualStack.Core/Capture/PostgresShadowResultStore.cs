using System.Runtime.CompilerServices;
using System.Text.Json;
using DualStack.Core.Model;
using DualStack.Core.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace DualStack.Core.Capture;

/// <summary>Shadow comparisons in PostgreSQL (table <c>shadow_turns</c>), written by every proxy instance, read by <c>report --source</c>.</summary>
internal sealed class PostgresShadowResultStore : IShadowResultStore
{
    internal static readonly IReadOnlyList<string> Migrations =
    [
        """
        CREATE TABLE IF NOT EXISTS shadow_turns (
            id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            ts               timestamptz NOT NULL,
            conversation_key text        NOT NULL,
            turn_index       integer     NOT NULL,
            user_id          text        NOT NULL,
            message          text        NOT NULL,
            primary_json     text        NOT NULL,
            shadow_json      text        NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_shadow_turns_conversation ON shadow_turns (conversation_key, turn_index);
        """,
        // Retention (capture --retain, captures prune) deletes pairs by time.
        "CREATE INDEX IF NOT EXISTS ix_shadow_turns_ts ON shadow_turns (ts);",
    ];

    private readonly NpgsqlDataSource _dataSource;

    private PostgresShadowResultStore(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
    }

    /// <summary>Connects and creates or migrates the table; errors name <paramref name="option"/> and the redacted value.</summary>
    public static async Task<PostgresShadowResultStore> OpenAsync(string connectionString, string option, CancellationToken cancellationToken)
    {
        var dataSource = await PostgresConnection.OpenAsync(connectionString, option, cancellationToken).ConfigureAwait(false);
        try
        {
            await PostgresSchema.MigrateAsync(dataSource, "shadow", Migrations, cancellationToken).ConfigureAwait(false);
            return new PostgresShadowResultStore(dataSource);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async Task AppendAsync(IReadOnlyList<StoredShadowTurn> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0)
        {
            return;
        }

        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // COPY is one statement, atomic, and takes the rows in order (identity ids follow the list). A NUL in a text
            // column would fail the whole batch, so it is replaced (the JSON columns escape it).
            var importer = await connection.BeginBinaryImportAsync(
                "COPY shadow_turns (ts, conversation_key, turn_index, user_id, message, primary_json, shadow_json) FROM STDIN (FORMAT BINARY)",
                cancellationToken).ConfigureAwait(false);
            await using (importer.ConfigureAwait(false))
            {
                foreach (var turn in batch)
                {
                    await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(turn.Timestamp.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(PostgresCaptureStore.Text(turn.ConversationKey), NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(turn.TurnIndex, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(PostgresCaptureStore.Text(turn.UserId), NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(PostgresCaptureStore.Text(turn.Message), NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(turn.PrimaryJson, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(turn.ShadowJson, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                }

                await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ShadowTurn> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            "SELECT conversation_key, turn_index, ts, message, user_id, primary_json, shadow_json FROM shadow_turns ORDER BY conversation_key, turn_index, id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new StoredShadowTurn(
                reader.GetString(0),
                reader.GetInt32(1),
                new DateTimeOffset(reader.GetDateTime(2), TimeSpan.Zero),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.GetString(6)).Read();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
