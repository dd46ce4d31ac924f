using System.Runtime.CompilerServices;
using System.Text.Json;
using DualStack.Core.Postgres;
using DualStack.Core.Model;
using DualStack.Core.Results;
using Npgsql;
using NpgsqlTypes;

namespace DualStack.Core.Capture;

/// <summary>
/// The shadow judge's work list in PostgreSQL, beside <c>shadow_turns</c> (which every proxy instance writes). Judges
/// claim pairs with <c>FOR UPDATE SKIP LOCKED</c> under a lease, like the distributed replay queue
/// (<c>Runs.ReplayQueue</c>): a claim row per pair in <c>shadow_judgements</c>, taken over only when its lease has
/// expired, and the first judgement stored wins. Schema component <c>shadow-judge</c>.
/// </summary>
internal sealed class PostgresShadowJudgeQueue : IShadowJudgeQueue
{
    internal static readonly IReadOnlyList<string> Migrations =
    [
        """
        CREATE TABLE IF NOT EXISTS shadow_judgements (
            pair_id     bigint      PRIMARY KEY,
            state       text        NOT NULL,
            owner       text,
            lease_until timestamptz,
            attempts    integer     NOT NULL DEFAULT 0,
            judged_at   timestamptz,
            verdict     text,
            result      jsonb
        );
        CREATE INDEX IF NOT EXISTS ix_shadow_turns_ts ON shadow_turns (ts);
        """,
    ];

    private const string PairColumns = "t.id, t.conversation_key, t.turn_index, t.ts, t.message, t.user_id, t.primary_json, t.shadow_json";

    private readonly NpgsqlDataSource _dataSource;

    private PostgresShadowJudgeQueue(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
    }

    /// <summary>Connects and creates or migrates the pair and judgement tables; errors name <paramref name="option"/> and the value without its password.</summary>
    public static async Task<PostgresShadowJudgeQueue> OpenAsync(string connectionString, string option, CancellationToken cancellationToken)
    {
        var dataSource = await PostgresConnection.OpenAsync(connectionString, option, cancellationToken).ConfigureAwait(false);
        try
        {
            await PostgresSchema.MigrateAsync(dataSource, "shadow", PostgresShadowResultStore.Migrations, cancellationToken).ConfigureAwait(false);
            await PostgresSchema.MigrateAsync(dataSource, "shadow-judge", Migrations, cancellationToken).ConfigureAwait(false);
            return new PostgresShadowJudgeQueue(dataSource);
        }
        catch (NpgsqlException ex)
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw new InvalidDataException($"{option}: '{PostgresConnection.Redact(connectionString)}': cannot create the shadow judge tables: {PostgresConnection.Redact(ex.Message)}", ex);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<ShadowPair>> ClaimAsync(string judge, DateTimeOffset? since, long afterId, int batch, TimeSpan lease, CancellationToken cancellationToken)
    {
        // SKIP LOCKED: pairs another judge is claiming right now are passed over, never waited for. The ON CONFLICT
        // condition is the guard: a pair whose claim row was committed by another judge after this statement's
        // snapshot is taken over only when that lease has expired.
        var ids = new List<long>();
        await using (var claim = _dataSource.CreateCommand(
            """
            WITH c AS (
                SELECT t.id FROM shadow_turns t
                WHERE t.id > @after AND t.ts >= @since
                  AND NOT EXISTS (SELECT 1 FROM shadow_judgements j WHERE j.pair_id = t.id AND (j.state = 'done' OR j.lease_until >= now()))
                ORDER BY t.id LIMIT @batch
                FOR UPDATE OF t SKIP LOCKED)
            INSERT INTO shadow_judgements (pair_id, state, owner, lease_until, attempts)
            SELECT id, 'leased', @owner, now() + @lease, 1 FROM c
            ON CONFLICT (pair_id) DO UPDATE SET owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until, attempts = shadow_judgements.attempts + 1
                WHERE shadow_judgements.state = 'leased' AND shadow_judgements.lease_until < now()
            RETURNING pair_id
            """))
        {
            claim.Parameters.AddWithValue("since", Since(since));
            claim.Parameters.AddWithValue("batch", batch);
            claim.Parameters.AddWithValue("after", afterId);
            claim.Parameters.AddWithValue("owner", judge);
            claim.Parameters.AddWithValue("lease", lease);
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ids.Add(reader.GetInt64(0));
            }
        }

        if (ids.Count == 0)
        {
            return [];
        }

        var pairs = new List<ShadowPair>(ids.Count);
        await using var read = _dataSource.CreateCommand($"SELECT {PairColumns} FROM shadow_turns t WHERE t.id = ANY(@ids) ORDER BY t.id");
        read.Parameters.AddWithValue("ids", ids.ToArray());
        await using var rows = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            pairs.Add(new ShadowPair(rows.GetInt64(0), new StoredShadowTurn(
                rows.GetString(1),
                rows.GetInt32(2),
                new DateTimeOffset(rows.GetDateTime(3), TimeSpan.Zero),
                rows.GetString(4),
                rows.GetString(5),
                rows.GetString(6),
                rows.GetString(7)).Read()));
        }

        return pairs;
    }

    /// <inheritdoc />
    public async Task<int> RenewAsync(string judge, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("UPDATE shadow_judgements SET lease_until = now() + @lease WHERE owner = @owner AND state = 'leased'");
        command.Parameters.AddWithValue("lease", lease);
        command.Parameters.AddWithValue("owner", judge);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> CompleteAsync(string judge, long pairId, TurnResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        await using var command = _dataSource.CreateCommand(
            "UPDATE shadow_judgements SET state = 'done', owner = @owner, lease_until = NULL, judged_at = now(), verdict = @verdict, result = @result WHERE pair_id = @id AND state = 'leased'");
        command.Parameters.AddWithValue("owner", judge);
        command.Parameters.AddWithValue("verdict", result.Verdict.ToString());
        command.Parameters.Add(new NpgsqlParameter("result", NpgsqlDbType.Jsonb) { Value = Text(JsonSerializer.Serialize(result, DualStackJson.Options)) });
        command.Parameters.AddWithValue("id", pairId);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<ShadowJudgeProgress> ProgressAsync(DateTimeOffset? since, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            """
            SELECT COUNT(*),
                   COUNT(*) FILTER (WHERE j.state = 'done'),
                   COUNT(*) FILTER (WHERE j.state = 'leased' AND j.lease_until >= now()),
                   COUNT(*) FILTER (WHERE j.pair_id IS NULL OR (j.state = 'leased' AND j.lease_until < now())),
                   COUNT(*) FILTER (WHERE j.attempts > 1)
            FROM shadow_turns t LEFT JOIN shadow_judgements j ON j.pair_id = t.id
            WHERE t.ts >= @since
            """);
        command.Parameters.AddWithValue("since", Since(since));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new ShadowJudgeProgress(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ShadowJudgement> ReadJudgementsAsync(DateTimeOffset? since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Keyset pages: a report over a day of traffic never holds a cursor or a transaction open.
        const int PageSize = 1000;
        var after = (Key: string.Empty, Turn: -1, Id: 0L);
        while (true)
        {
            var page = new List<ShadowJudgement>(PageSize);
            await using (var command = _dataSource.CreateCommand(
                $"""
                SELECT t.id, t.conversation_key, t.turn_index, t.ts, t.user_id, j.result::text
                FROM shadow_judgements j JOIN shadow_turns t ON t.id = j.pair_id
                WHERE j.state = 'done' AND t.ts >= @since AND (t.conversation_key, t.turn_index, t.id) > (@key, @turn, @id)
                ORDER BY t.conversation_key, t.turn_index, t.id LIMIT {PageSize}
                """))
            {
                command.Parameters.AddWithValue("since", Since(since));
                command.Parameters.AddWithValue("key", after.Key);
                command.Parameters.AddWithValue("turn", after.Turn);
                command.Parameters.AddWithValue("id", after.Id);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    page.Add(new ShadowJudgement(
                        reader.GetInt64(0),
                        reader.GetString(1),
                        reader.GetInt32(2),
                        new DateTimeOffset(reader.GetDateTime(3), TimeSpan.Zero),
                        reader.GetString(4),
                        JsonSerializer.Deserialize<TurnResult>(reader.GetString(5), DualStackJson.Options)!));
                }
            }

            foreach (var judgement in page)
            {
                yield return judgement;
            }

            if (page.Count < PageSize)
            {
                yield break;
            }

            after = (page[^1].ConversationKey, page[^1].TurnIndex, page[^1].PairId);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private static DateTime Since(DateTimeOffset? since) => (since ?? DateTimeOffset.UnixEpoch).UtcDateTime;

    // jsonb cannot hold a NUL character (\u0000) even escaped.
    private static string Text(string json) => json.Contains("\\u0000", StringComparison.Ordinal) ? json.Replace("\\u0000", "\\uFFFD", StringComparison.Ordinal) : json;
}
