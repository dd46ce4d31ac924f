using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using DualStack.Core.Model;
using DualStack.Core.Results;
using Microsoft.Data.Sqlite;

namespace DualStack.Core.Capture;

/// <summary>A stored shadow pair (the old and the new answer to one live turn) with its row id in <c>shadow_turns</c>.</summary>
/// <param name="Id">Row id: the unit the judges claim and judge exactly once.</param>
/// <param name="Turn">The pair, as the proxy stored it (redacted).</param>
public sealed record ShadowPair(long Id, ShadowTurn Turn);

/// <summary>A stored judgement of one pair, read back to build a run.</summary>
/// <param name="PairId">Row id of the pair.</param>
/// <param name="ConversationKey">Conversation key (redacted, as stored).</param>
/// <param name="TurnIndex">Turn index within the conversation.</param>
/// <param name="Timestamp">When the live turn happened.</param>
/// <param name="UserId">The user (redacted, as stored).</param>
/// <param name="Result">The turn's judgement by the verdict engine.</param>
public sealed record ShadowJudgement(long PairId, string ConversationKey, int TurnIndex, DateTimeOffset Timestamp, string UserId, TurnResult Result);

/// <summary>Counts of the pairs in a window.</summary>
/// <param name="Total">Pairs stored.</param>
/// <param name="Done">Pairs judged (one judgement each).</param>
/// <param name="Leased">Pairs claimed by a judge whose lease still runs.</param>
/// <param name="Pending">Pairs nobody holds: never claimed, or their lease expired.</param>
/// <param name="Reclaimed">Pairs claimed more than once (a judge died or was too slow).</param>
public sealed record ShadowJudgeProgress(long Total, long Done, long Leased, long Pending, long Reclaimed);

/// <summary>
/// The work list of the shadow judge over the pairs the proxy stored (<c>shadow_turns</c>): judges claim pairs under a
/// lease, store one judgement per pair (<c>shadow_judgements</c>) and read the judgements back for reports. A judge
/// that dies stops renewing; its pairs are claimed again when the lease expires. The first judgement stored wins, so
/// every pair is judged exactly once however many judges run and whenever they die.
/// </summary>
public interface IShadowJudgeQueue : IAsyncDisposable
{
    /// <summary>
    /// Claims up to <paramref name="batch"/> unjudged pairs with an id above <paramref name="afterId"/>, recorded at or
    /// after <paramref name="since"/> (null = all), oldest first. A judge passes the last id it claimed, so a store of
    /// a million judged pairs is not scanned from the start for every batch.
    /// </summary>
    Task<IReadOnlyList<ShadowPair>> ClaimAsync(string judge, DateTimeOffset? since, long afterId, int batch, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Extends the leases <paramref name="judge"/> holds; returns how many.</summary>
    Task<int> RenewAsync(string judge, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Stores the judgement of a claimed pair; false when another judge stored one first (this one is discarded).</summary>
    Task<bool> CompleteAsync(string judge, long pairId, TurnResult result, CancellationToken cancellationToken);

    /// <summary>Counts of the pairs recorded at or after <paramref name="since"/> (null = all).</summary>
    Task<ShadowJudgeProgress> ProgressAsync(DateTimeOffset? since, CancellationToken cancellationToken);

    /// <summary>Every judgement of pairs recorded at or after <paramref name="since"/> (null = all), by conversation, then turn.</summary>
    IAsyncEnumerable<ShadowJudgement> ReadJudgementsAsync(DateTimeOffset? since, CancellationToken cancellationToken);
}

/// <summary>Opens the judge's work list on the store a <c>--source</c> value names.</summary>
public static class ShadowJudgeQueues
{
    /// <summary>
    /// PostgreSQL for a connection string, else the SQLite file (which must exist). Creates the judgement table (and
    /// the pair table, empty, when the proxy has not written one yet). Throws <see cref="InvalidDataException"/> or
    /// <see cref="ArgumentException"/> naming <paramref name="option"/> and the value (password redacted).
    /// </summary>
    public static async Task<IShadowJudgeQueue> OpenAsync(string value, string option, TimeProvider? time, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        if (Postgres.PostgresConnection.IsPostgres(value))
        {
            return await PostgresShadowJudgeQueue.OpenAsync(value, option, cancellationToken).ConfigureAwait(false);
        }

        if (!File.Exists(value))
        {
            throw new InvalidDataException($"{option}: '{value}' does not exist");
        }

        return await SqliteShadowJudgeQueue.OpenAsync(value, time, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// The judge's work list in the SQLite capture database, beside <c>shadow_turns</c>. Claims run in an immediate
/// transaction (SQLite has one writer at a time), so two judges on one file never claim the same pair.
/// </summary>
internal sealed class SqliteShadowJudgeQueue : IShadowJudgeQueue
{
    private const string PairColumns = "t.id, t.conversation_key, t.turn_index, t.ts, t.message, t.user_id, t.primary_json, t.shadow_json";

    private readonly SqliteConnection _connection;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private SqliteShadowJudgeQueue(SqliteConnection connection, TimeProvider time)
    {
        _connection = connection;
        _time = time;
    }

    /// <summary>Opens the file at <paramref name="path"/> and creates the tables when missing.</summary>
    public static async Task<SqliteShadowJudgeQueue> OpenAsync(string path, TimeProvider? time, CancellationToken cancellationToken)
    {
        // The pair table as the proxy creates it, so a judge started before the proxy's first shadow turn has a list to watch.
        await (await ShadowResultStore.OpenAsync(path, cancellationToken).ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = """
                PRAGMA busy_timeout=10000;
                PRAGMA journal_mode=WAL;
                PRAGMA synchronous=NORMAL;
                CREATE TABLE IF NOT EXISTS shadow_judgements (
                  pair_id     INTEGER PRIMARY KEY,
                  state       TEXT    NOT NULL,
                  owner       TEXT,
                  lease_until INTEGER,
                  attempts    INTEGER NOT NULL DEFAULT 0,
                  judged_at   TEXT,
                  verdict     TEXT,
                  result_json TEXT);
                CREATE INDEX IF NOT EXISTS ix_shadow_turns_ts ON shadow_turns(ts);
                """;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return new SqliteShadowJudgeQueue(connection, time ?? TimeProvider.System);
        }
        catch (SqliteException ex)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new InvalidDataException($"{path}: cannot open as a capture database: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ShadowPair>> ClaimAsync(string judge, DateTimeOffset? since, long afterId, int batch, TimeSpan lease, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            // BEGIN IMMEDIATE: the write lock is taken before the read, so two judges on one file never pick the same pairs.
            using var transaction = _connection.BeginTransaction(System.Data.IsolationLevel.Serializable, deferred: false);
            var ids = new List<long>();
            await using (var claim = _connection.CreateCommand())
            {
                claim.Transaction = transaction;
                claim.CommandText = """
                    INSERT INTO shadow_judgements (pair_id, state, owner, lease_until, attempts)
                    SELECT t.id, 'leased', $owner, $until, 1 FROM shadow_turns t LEFT JOIN shadow_judgements j ON j.pair_id = t.id
                    WHERE t.id > $after AND t.ts >= $since AND (j.pair_id IS NULL OR (j.state = 'leased' AND j.lease_until < $now))
                    ORDER BY t.id LIMIT $batch
                    ON CONFLICT (pair_id) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until, attempts = shadow_judgements.attempts + 1
                    RETURNING pair_id
                    """;
                claim.Parameters.AddWithValue("$owner", judge);
                claim.Parameters.AddWithValue("$until", now + (long)lease.TotalMilliseconds);
                claim.Parameters.AddWithValue("$now", now);
                claim.Parameters.AddWithValue("$since", Since(since));
                claim.Parameters.AddWithValue("$batch", batch);
                claim.Parameters.AddWithValue("$after", afterId);
                await using var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    ids.Add(reader.GetInt64(0));
                }
            }

            // Committed before the pairs are read and parsed: the write lock the proxy's writers wait for is held only
            // for the claim itself. Claimed rows are this judge's now, and pairs never change once stored.
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            var pairs = new List<ShadowPair>(ids.Count);
            if (ids.Count > 0)
            {
                await using var read = _connection.CreateCommand();
                read.CommandText = $"SELECT {PairColumns} FROM shadow_turns t WHERE t.id IN ({string.Join(',', ids)}) ORDER BY t.id";
                await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    pairs.Add(new ShadowPair(reader.GetInt64(0), new StoredShadowTurn(
                        reader.GetString(1),
                        reader.GetInt32(2),
                        DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture),
                        reader.GetString(4),
                        reader.GetString(5),
                        reader.GetString(6),
                        reader.GetString(7)).Read()));
                }
            }

            return pairs;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<int> RenewAsync(string judge, TimeSpan lease, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = _connection.CreateCommand();
            command.CommandText = "UPDATE shadow_judgements SET lease_until = $until WHERE owner = $owner AND state = 'leased'";
            command.Parameters.AddWithValue("$until", _time.GetUtcNow().ToUnixTimeMilliseconds() + (long)lease.TotalMilliseconds);
            command.Parameters.AddWithValue("$owner", judge);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<bool> CompleteAsync(string judge, long pairId, TurnResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = _connection.CreateCommand();
            // First judgement wins: a slow judge whose pair was claimed again after its lease expired changes nothing.
            command.CommandText = "UPDATE shadow_judgements SET state = 'done', owner = $owner, lease_until = NULL, judged_at = $at, verdict = $verdict, result_json = $result WHERE pair_id = $id AND state = 'leased'";
            command.Parameters.AddWithValue("$owner", judge);
            command.Parameters.AddWithValue("$at", _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("$verdict", result.Verdict.ToString());
            command.Parameters.AddWithValue("$result", JsonSerializer.Serialize(result, DualStackJson.Options));
            command.Parameters.AddWithValue("$id", pairId);
            return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task<ShadowJudgeProgress> ProgressAsync(DateTimeOffset? since, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var command = _connection.CreateCommand();
            command.CommandText = """
                SELECT COUNT(*),
                       COALESCE(SUM(j.state = 'done'), 0),
                       COALESCE(SUM(j.state = 'leased' AND j.lease_until >= $now), 0),
                       COALESCE(SUM(j.pair_id IS NULL OR (j.state = 'leased' AND j.lease_until < $now)), 0),
                       COALESCE(SUM(j.attempts > 1), 0)
                FROM shadow_turns t LEFT JOIN shadow_judgements j ON j.pair_id = t.id
                WHERE t.ts >= $since
                """;
            command.Parameters.AddWithValue("$now", _time.GetUtcNow().ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$since", Since(since));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return new ShadowJudgeProgress(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ShadowJudgement> ReadJudgementsAsync(DateTimeOffset? since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Its own connection: a report is built beside a judge that goes on claiming.
        var connection = new SqliteConnection(_connection.ConnectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT t.id, t.conversation_key, t.turn_index, t.ts, t.user_id, j.result_json
                FROM shadow_judgements j JOIN shadow_turns t ON t.id = j.pair_id
                WHERE j.state = 'done' AND t.ts >= $since
                ORDER BY t.conversation_key, t.turn_index, t.id
                """;
            command.Parameters.AddWithValue("$since", Since(since));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return new ShadowJudgement(
                    reader.GetInt64(0),
                    reader.GetString(1),
                    reader.GetInt32(2),
                    DateTimeOffset.Parse(reader.GetString(3), CultureInfo.InvariantCulture),
                    reader.GetString(4),
                    JsonSerializer.Deserialize<TurnResult>(reader.GetString(5), DualStackJson.Options)!);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    // shadow_turns.ts is DateTimeOffset "O" text in UTC (+00:00), which sorts in time order.
    private static string Since(DateTimeOffset? since) =>
        since is { } s ? s.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture) : string.Empty;
}
