using System.Runtime.CompilerServices;
using System.Text.Json;
using DualStack.Core.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace DualStack.Core.Capture;

/// <summary>
/// A capture store in PostgreSQL (table <c>capture_exchanges</c>), shared by any number of proxy instances. Each batch
/// is written with one binary <c>COPY</c> (one round trip, one transaction); ids come from a sequence, so they order
/// the exchanges of one proxy exactly and those of several proxies by arrival at the database. Indexed by
/// conversation key (then id) and by time. Reads stream with a server-side cursor (batches of rows, never the whole
/// table). Schema version kept in <c>dualstack_schema</c> (component <c>captures</c>).
/// </summary>
public sealed class PostgresCaptureStore : ICaptureStore
{
    private const string Columns = "id, ts, method, path, query, conversation_key, request_headers, request_body, request_truncated, status, response_headers, response_body, response_truncated, duration_ms, error";

    internal static readonly IReadOnlyList<string> Migrations =
    [
        """
        CREATE TABLE IF NOT EXISTS capture_exchanges (
            id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            ts                 timestamptz      NOT NULL,
            method             text             NOT NULL,
            path               text             NOT NULL,
            query              text             NOT NULL DEFAULT '',
            conversation_key   text,
            request_headers    jsonb            NOT NULL DEFAULT '{}',
            request_body       text,
            request_truncated  boolean          NOT NULL DEFAULT false,
            status             integer          NOT NULL,
            response_headers   jsonb            NOT NULL DEFAULT '{}',
            response_body      text,
            response_truncated boolean          NOT NULL DEFAULT false,
            duration_ms        double precision NOT NULL,
            error              text
        );
        CREATE INDEX IF NOT EXISTS ix_capture_exchanges_conversation ON capture_exchanges (conversation_key, id);
        CREATE INDEX IF NOT EXISTS ix_capture_exchanges_ts ON capture_exchanges (ts);
        """,
    ];

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private int _disposed;

    private PostgresCaptureStore(NpgsqlDataSource dataSource, bool ownsDataSource, string redactedName)
    {
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        Name = redactedName;
    }

    /// <summary>The connection string with its password redacted.</summary>
    public string Name { get; }

    /// <summary>
    /// Connects to the database named by <paramref name="connectionString"/> (URL or key/value form) and creates or
    /// migrates the schema. Throws <see cref="ArgumentException"/> (unparsable) or <see cref="InvalidDataException"/>
    /// (unreachable, refused, newer schema), both naming <paramref name="option"/> and the value without its password.
    /// </summary>
    public static async Task<PostgresCaptureStore> OpenAsync(string connectionString, CancellationToken cancellationToken, string option = "--store")
    {
        var dataSource = await PostgresConnection.OpenAsync(connectionString, option, cancellationToken).ConfigureAwait(false);
        try
        {
            return await OpenAsync(dataSource, ownsDataSource: true, PostgresConnection.Redact(connectionString), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    internal static async Task<PostgresCaptureStore> OpenAsync(NpgsqlDataSource dataSource, bool ownsDataSource, string name, CancellationToken cancellationToken)
    {
        try
        {
            await PostgresSchema.MigrateAsync(dataSource, "captures", Migrations, cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException ex)
        {
            throw new InvalidDataException($"--store: '{name}': cannot create the capture schema: {PostgresConnection.Redact(ex.Message)}", ex);
        }

        return new PostgresCaptureStore(dataSource, ownsDataSource, name);
    }

    /// <inheritdoc />
    public async Task AppendAsync(IReadOnlyList<CapturedExchange> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (batch.Count == 0)
        {
            return;
        }

        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            // COPY is atomic: a failure part-way leaves none of the batch behind.
            var importer = await connection.BeginBinaryImportAsync(
                "COPY capture_exchanges (ts, method, path, query, conversation_key, request_headers, request_body, request_truncated, status, response_headers, response_body, response_truncated, duration_ms, error) FROM STDIN (FORMAT BINARY)",
                cancellationToken).ConfigureAwait(false);
            await using (importer.ConfigureAwait(false))
            {
                foreach (var e in batch)
                {
                    await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(e.Timestamp.ToUniversalTime(), NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(Text(e.Method), NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(Text(e.Path), NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(Text(e.Query ?? string.Empty), NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                    await WriteNullableAsync(importer, e.ConversationKey, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(Headers(e.RequestHeaders), NpgsqlDbType.Jsonb, cancellationToken).ConfigureAwait(false);
                    await WriteNullableAsync(importer, e.RequestBody, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(e.RequestTruncated, NpgsqlDbType.Boolean, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(e.Status, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(Headers(e.ResponseHeaders), NpgsqlDbType.Jsonb, cancellationToken).ConfigureAwait(false);
                    await WriteNullableAsync(importer, e.ResponseBody, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(e.ResponseTruncated, NpgsqlDbType.Boolean, cancellationToken).ConfigureAwait(false);
                    await importer.WriteAsync(e.DurationMs, NpgsqlDbType.Double, cancellationToken).ConfigureAwait(false);
                    await WriteNullableAsync(importer, e.Error, cancellationToken).ConfigureAwait(false);
                }

                await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<CapturedExchange> ReadAsync(long afterId, string? conversationKey, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // Keyset pages: each page is one short query, so a slow consumer holds no transaction or cursor open.
        const int PageSize = 1000;
        var after = afterId;
        while (true)
        {
            var page = new List<CapturedExchange>(PageSize);
            await using (var command = _dataSource.CreateCommand(conversationKey is null
                ? $"SELECT {Columns} FROM capture_exchanges WHERE id > @after ORDER BY id LIMIT {PageSize}"
                : $"SELECT {Columns} FROM capture_exchanges WHERE conversation_key = @key AND id > @after ORDER BY id LIMIT {PageSize}"))
            {
                command.Parameters.AddWithValue("after", after);
                if (conversationKey is not null)
                {
                    command.Parameters.AddWithValue("key", conversationKey);
                }

                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    page.Add(ReadExchange(reader));
                }
            }

            foreach (var exchange in page)
            {
                yield return exchange;
            }

            if (page.Count < PageSize)
            {
                yield break;
            }

            after = page[^1].Id;
        }
    }

    /// <inheritdoc />
    public async Task<CaptureStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await using var command = _dataSource.CreateCommand("""
            SELECT COUNT(*), COUNT(DISTINCT conversation_key), MIN(ts), MAX(ts),
                   COUNT(*) FILTER (WHERE request_truncated OR response_truncated),
                   COUNT(*) FILTER (WHERE error IS NOT NULL OR status = 0)
            FROM capture_exchanges
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new CaptureStats(
            reader.GetInt64(0),
            reader.GetInt64(1),
            reader.IsDBNull(2) ? null : new DateTimeOffset(reader.GetDateTime(2), TimeSpan.Zero),
            reader.IsDBNull(3) ? null : new DateTimeOffset(reader.GetDateTime(3), TimeSpan.Zero),
            reader.GetInt64(4),
            reader.GetInt64(5));
    }

    /// <inheritdoc />
    public Task<Pruned> DeleteBeforeAsync(DateTimeOffset cutoff, IProgress<Pruned>? progress, CancellationToken cancellationToken) =>
        DeleteBeforeAsync(cutoff, RetentionSlices.Size, progress, cancellationToken);

    /// <summary>Retention in paced slices of <paramref name="slice"/> rows (<see cref="RetentionSlices"/>), one statement each.</summary>
    internal async Task<Pruned> DeleteBeforeAsync(DateTimeOffset cutoff, int slice, IProgress<Pruned>? progress, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var exchanges = await DeleteInSlicesAsync(
            "WITH gone AS (DELETE FROM capture_exchanges WHERE id IN (SELECT id FROM capture_exchanges WHERE ts < @cutoff ORDER BY ts LIMIT @slice) RETURNING id) SELECT count(*) FROM gone",
            cutoff,
            slice,
            n => progress?.Report(new Pruned(n, 0)),
            cancellationToken).ConfigureAwait(false);

        // The shadow pairs beside them, when a proxy with --shadow made the table; with their judgements, when a judge
        // made that one (each slice one statement, so a pair never outlives its judgement or the other way round).
        await using var tables = _dataSource.CreateCommand(
            "SELECT to_regclass('shadow_turns') IS NOT NULL, to_regclass('shadow_judgements') IS NOT NULL");
        bool pairs, judgements;
        await using (var reader = await tables.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            (pairs, judgements) = (reader.GetBoolean(0), reader.GetBoolean(1));
        }

        if (!pairs)
        {
            return new Pruned(exchanges, 0);
        }

        const string Slice = "DELETE FROM shadow_turns WHERE id IN (SELECT id FROM shadow_turns WHERE ts < @cutoff ORDER BY ts LIMIT @slice) RETURNING id";
        var shadow = await DeleteInSlicesAsync(
            judgements
                ? $"WITH gone AS ({Slice}), judged AS (DELETE FROM shadow_judgements WHERE pair_id IN (SELECT id FROM gone)) SELECT count(*) FROM gone"
                : $"WITH gone AS ({Slice}) SELECT count(*) FROM gone",
            cutoff,
            slice,
            n => progress?.Report(new Pruned(exchanges, n)),
            cancellationToken).ConfigureAwait(false);
        return new Pruned(exchanges, shadow);
    }

    // One statement per slice (it deletes the slice and returns how many rows it deleted), paced (RetentionSlices):
    // no long lock, no huge transaction, and the writers keep at least half of the server's time beside a backlog.
    private Task<long> DeleteInSlicesAsync(string sql, DateTimeOffset cutoff, int slice, Action<long> deletedSoFar, CancellationToken cancellationToken) =>
        RetentionSlices.DeleteAsync(
            async ct =>
            {
                await using var command = _dataSource.CreateCommand(sql);
                command.Parameters.AddWithValue("cutoff", cutoff.ToUniversalTime());
                command.Parameters.AddWithValue("slice", slice);
                return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
            },
            slice,
            deletedSoFar,
            TimeProvider.System,
            cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The text with NUL replaced by U+FFFD: PostgreSQL text cannot hold NUL, and one would fail the whole COPY (batch).</summary>
    internal static string Text(string value) => value.Contains('\0', StringComparison.Ordinal) ? value.Replace('\0', '\uFFFD') : value;

    private static Task WriteNullableAsync(NpgsqlBinaryImporter importer, string? value, CancellationToken cancellationToken) =>
        value is null ? importer.WriteNullAsync(cancellationToken) : importer.WriteAsync(Text(value), NpgsqlDbType.Text, cancellationToken);

    private static string Headers(IReadOnlyDictionary<string, string>? headers) =>
        headers is null || headers.Count == 0 ? "{}" : Text(JsonSerializer.Serialize(headers));

    private static CapturedExchange ReadExchange(NpgsqlDataReader reader) => new()
    {
        Id = reader.GetInt64(0),
        Timestamp = new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero),
        Method = reader.GetString(2),
        Path = reader.GetString(3),
        Query = reader.GetString(4),
        ConversationKey = reader.IsDBNull(5) ? null : reader.GetString(5),
        RequestHeaders = SqliteCaptureStore.ReadHeaders(reader.GetString(6)),
        RequestBody = reader.IsDBNull(7) ? null : reader.GetString(7),
        RequestTruncated = reader.GetBoolean(8),
        Status = reader.GetInt32(9),
        ResponseHeaders = SqliteCaptureStore.ReadHeaders(reader.GetString(10)),
        ResponseBody = reader.IsDBNull(11) ? null : reader.GetString(11),
        ResponseTruncated = reader.GetBoolean(12),
        DurationMs = reader.GetDouble(13),
        Error = reader.IsDBNull(14) ? null : reader.GetString(14),
    };
}
