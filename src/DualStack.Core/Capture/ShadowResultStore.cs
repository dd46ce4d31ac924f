using DualStack.Core.Privacy;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using DualStack.Core.Model;
using Microsoft.Data.Sqlite;

namespace DualStack.Core.Capture;

/// <summary>One shadow comparison as stored: the primary (old) answer and the shadow (new) answer of a captured turn.</summary>
/// <param name="ConversationKey">Conversation key of the live traffic.</param>
/// <param name="TurnIndex">Zero-based turn index within the conversation, in capture order.</param>
/// <param name="Timestamp">When the live turn happened.</param>
/// <param name="Message">What the user said.</param>
/// <param name="UserId">The user.</param>
/// <param name="Primary">The old stack's answer, as the client received it.</param>
/// <param name="Shadow">The new stack's answer, never returned to anyone.</param>
public sealed record ShadowTurn(string ConversationKey, int TurnIndex, DateTimeOffset Timestamp, string Message, string UserId, StackObservation Primary, StackObservation Shadow)
{
    /// <summary>
    /// This turn as it is stored: the key, message, user and both observations redacted by <paramref name="redactor"/>
    /// (the capture writer's, so a value gets the same token here as in the captures table), each observation written
    /// as JSON once, here, and stored as that text, which stays JSON whatever the patterns (<see cref="Redactor.RedactJsonText"/>).
    /// </summary>
    public StoredShadowTurn Redact(Redactor redactor)
    {
        ArgumentNullException.ThrowIfNull(redactor);
        return new StoredShadowTurn(
            redactor.Redact(ConversationKey),
            TurnIndex,
            Timestamp,
            redactor.Redact(Message),
            redactor.Redact(UserId),
            RedactedJson(Primary, redactor),
            RedactedJson(Shadow, redactor));
    }

    private static string RedactedJson(StackObservation observation, Redactor redactor) =>
        redactor.RedactJsonText(JsonSerializer.Serialize(observation, DualStackJson.Options));
}

/// <summary>
/// A shadow pair as the stores write it: redacted (<see cref="ShadowTurn.Redact"/>), each observation as the JSON text
/// kept in its column. Read back as a <see cref="ShadowTurn"/>.
/// </summary>
/// <param name="ConversationKey">Conversation key of the live traffic, redacted.</param>
/// <param name="TurnIndex">Zero-based turn index within the conversation, in capture order.</param>
/// <param name="Timestamp">When the live turn happened.</param>
/// <param name="Message">What the user said, redacted.</param>
/// <param name="UserId">The user, redacted.</param>
/// <param name="PrimaryJson">The old stack's answer, a <see cref="StackObservation"/> as JSON.</param>
/// <param name="ShadowJson">The new stack's answer, a <see cref="StackObservation"/> as JSON.</param>
public sealed record StoredShadowTurn(string ConversationKey, int TurnIndex, DateTimeOffset Timestamp, string Message, string UserId, string PrimaryJson, string ShadowJson)
{
    /// <summary>The pair as the judge reads it, both observations parsed.</summary>
    public ShadowTurn Read() => new(
        ConversationKey,
        TurnIndex,
        Timestamp,
        Message,
        UserId,
        JsonSerializer.Deserialize<StackObservation>(PrimaryJson, DualStackJson.Options)!,
        JsonSerializer.Deserialize<StackObservation>(ShadowJson, DualStackJson.Options)!);
}

/// <summary>Where shadow comparisons are kept (beside the captures), read back by <c>dualstack report --source</c>.</summary>
public interface IShadowResultStore : IAsyncDisposable
{
    /// <summary>
    /// Appends a batch of comparisons in one transaction, in list order (row ids follow it, so the turns of a
    /// conversation keep their order); all or nothing: throws when the batch was not stored.
    /// </summary>
    Task AppendAsync(IReadOnlyList<StoredShadowTurn> batch, CancellationToken cancellationToken);

    /// <summary>Streams every stored comparison ordered by conversation, then turn.</summary>
    IAsyncEnumerable<ShadowTurn> ReadAsync(CancellationToken cancellationToken);
}

/// <summary>Opens the shadow result store a <c>--store</c>/<c>--source</c> value names.</summary>
public static class ShadowResultStores
{
    /// <summary>PostgreSQL for a connection string (see <see cref="CaptureStores.OpenAsync"/>), else the SQLite file.</summary>
    public static async Task<IShadowResultStore> OpenAsync(string value, CancellationToken cancellationToken, string option = "--store") =>
        Postgres.PostgresConnection.IsPostgres(value)
            ? await PostgresShadowResultStore.OpenAsync(value, option, cancellationToken).ConfigureAwait(false)
            : await ShadowResultStore.OpenAsync(value, cancellationToken).ConfigureAwait(false);
}

/// <summary>
/// Shadow comparisons in the SQLite capture database (table <c>shadow_turns</c>), read back by <c>dualstack report
/// --source</c>. Like the capture store it commits with <c>synchronous=NORMAL</c>: with the default FULL every
/// comparison fsynced the WAL the capture writer shares, which cost the primary path about 40 % of its p99.
/// </summary>
internal sealed class ShadowResultStore : IShadowResultStore
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SqliteInsert? _insert;

    private ShadowResultStore(SqliteConnection connection)
    {
        _connection = connection;
    }

    /// <summary>Opens (creating when missing) the shadow table in the SQLite file at <paramref name="path"/>.</summary>
    public static async Task<ShadowResultStore> OpenAsync(string path, CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = """
                PRAGMA journal_mode=WAL;
                PRAGMA synchronous=NORMAL;
                PRAGMA busy_timeout=5000;
                CREATE TABLE IF NOT EXISTS shadow_turns (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  ts TEXT NOT NULL,
                  conversation_key TEXT NOT NULL,
                  turn_index INTEGER NOT NULL,
                  user_id TEXT NOT NULL,
                  message TEXT NOT NULL,
                  primary_json TEXT NOT NULL,
                  shadow_json TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS ix_shadow_conversation ON shadow_turns(conversation_key, turn_index);
                CREATE INDEX IF NOT EXISTS ix_shadow_turns_ts ON shadow_turns(ts);
                """;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return new ShadowResultStore(connection);
        }
        catch (SqliteException ex)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new InvalidDataException($"{path}: cannot open as a capture database: {ex.Message}", ex);
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

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // One transaction per batch: one WAL commit (and, with the capture writer on the same file, one turn at
            // the write lock) for the whole batch instead of one per pair.
            using var transaction = _connection.BeginTransaction();
            _insert ??= new SqliteInsert(_connection, "INSERT INTO shadow_turns (ts, conversation_key, turn_index, user_id, message, primary_json, shadow_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
            Span<char> timestamp = stackalloc char[40];
            foreach (var turn in batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    // The round-trip format ("O") the reader parses, offset included.
                    if (!turn.Timestamp.TryFormat(timestamp, out var written, "O", CultureInfo.InvariantCulture))
                    {
                        throw new FormatException($"timestamp {turn.Timestamp:O} does not fit the stored format");
                    }

                    _insert.Text(1, timestamp[..written]);
                    _insert.Text(2, turn.ConversationKey);
                    _insert.Int(3, turn.TurnIndex);
                    _insert.Text(4, turn.UserId);
                    _insert.Text(5, turn.Message);
                    _insert.Text(6, turn.PrimaryJson);
                    _insert.Text(7, turn.ShadowJson);
                    _insert.Execute();
                }
                catch
                {
                    _insert.Reset();
                    throw;
                }
            }

            transaction.Commit();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Streams every stored comparison ordered by conversation, then turn.</summary>
    public async IAsyncEnumerable<ShadowTurn> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = _connection.CreateCommand();
        command.CommandText = "SELECT conversation_key, turn_index, ts, message, user_id, primary_json, shadow_json FROM shadow_turns ORDER BY conversation_key, turn_index, id";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new StoredShadowTurn(
                reader.GetString(0),
                reader.GetInt32(1),
                DateTimeOffset.Parse(reader.GetString(2), System.Globalization.CultureInfo.InvariantCulture),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetString(5),
                reader.GetString(6)).Read();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _insert?.Dispose();
        await _connection.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
