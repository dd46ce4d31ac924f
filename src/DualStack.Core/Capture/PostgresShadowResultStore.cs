using System.Runtime.CompilerServices;
using System.Text.Json;
using DualStack.Core.Model;
using DualStack.Core.Postgres;
using Npgsql;

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
    public async Task AppendAsync(ShadowTurn turn, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(turn);
        await using var command = _dataSource.CreateCommand(
            "INSERT INTO shadow_turns (ts, conversation_key, turn_index, user_id, message, primary_json, shadow_json) VALUES (@ts, @key, @index, @user, @message, @primary, @shadow)");
        command.Parameters.AddWithValue("ts", turn.Timestamp.ToUniversalTime());
        command.Parameters.AddWithValue("key", turn.ConversationKey);
        command.Parameters.AddWithValue("index", turn.TurnIndex);
        command.Parameters.AddWithValue("user", turn.UserId);
        command.Parameters.AddWithValue("message", turn.Message);
        command.Parameters.AddWithValue("primary", JsonSerializer.Serialize(turn.Primary, DualStackJson.Options));
        command.Parameters.AddWithValue("shadow", JsonSerializer.Serialize(turn.Shadow, DualStackJson.Options));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ShadowTurn> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            "SELECT conversation_key, turn_index, ts, message, user_id, primary_json, shadow_json FROM shadow_turns ORDER BY conversation_key, turn_index, id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new ShadowTurn(
                reader.GetString(0),
                reader.GetInt32(1),
                new DateTimeOffset(reader.GetDateTime(2), TimeSpan.Zero),
                reader.GetString(3),
                reader.GetString(4),
                JsonSerializer.Deserialize<StackObservation>(reader.GetString(5), DualStackJson.Options)!,
                JsonSerializer.Deserialize<StackObservation>(reader.GetString(6), DualStackJson.Options)!);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
