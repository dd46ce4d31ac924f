using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace DualStack.Core.Capture;

/// <summary>
/// A capture store in one SQLite file (WAL mode, <c>synchronous=NORMAL</c>). Appends run one at a time on a single
/// write connection, the shadow pairs' too (<see cref="ShadowResultStore"/>); reads and stats open their own
/// connection, so they run beside the writer.
/// </summary>
public sealed partial class SqliteCaptureStore : ICaptureStore
{
    /// <summary>Schema version kept in <c>PRAGMA user_version</c>.</summary>
    internal const int SchemaVersion = 1;

    private const int BusyTimeoutMs = 5000;
    private const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";
    private const string Columns = "id, ts, method, path, query, conversation_key, request_headers, request_body, request_truncated, status, response_headers, response_body, response_truncated, duration_ms, error";

    // Readable in the sqlite3 shell: '<', '>' and non-ASCII are not escaped (the values are JSON strings in a column).
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static ReadOnlySpan<byte> SqliteHeader => "SQLite format 3\0"u8;

    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly string _writeConnectionString;
    private readonly string _readConnectionString;
    private Writer? _writer;
    private int _disposed;

    private SqliteCaptureStore(string path, Writer writer, string writeConnectionString, string readConnectionString)
    {
        Path = path;
        _writer = writer;
        _writeConnectionString = writeConnectionString;
        _readConnectionString = readConnectionString;
    }

    /// <summary>Full path of the database file.</summary>
    public string Path { get; }

    /// <summary>
    /// Opens the store at <paramref name="path"/>, creating the file (and its directory) and the schema when missing.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a SQLite database, or has a newer schema; the message names the path.</exception>
    public static async Task<SqliteCaptureStore> OpenAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = System.IO.Path.GetFullPath(path);
        await CheckHeaderAsync(fullPath, cancellationToken).ConfigureAwait(false);
        var directory = System.IO.Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        // No pooling: disposing the store really closes the file (tests and the CLI move or delete it afterwards).
        var writeConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString();
        var readConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = false,
        }.ToString();

        var writer = await Writer.OpenAsync(writeConnectionString, fullPath, cancellationToken).ConfigureAwait(false);
        return new SqliteCaptureStore(fullPath, writer, writeConnectionString, readConnectionString);
    }

    /// <inheritdoc />
    public Task AppendAsync(IReadOnlyList<CapturedExchange> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return batch.Count == 0 ? Task.CompletedTask : WriteAsync(batch, static (writer, rows, ct) => writer.Insert(rows, ct), cancellationToken);
    }

    /// <summary>
    /// Appends shadow pairs to this file's <c>shadow_turns</c> table through the same write connection and gate as
    /// the captures (see <see cref="ShadowResultStore"/>): one transaction, list order, all or nothing.
    /// </summary>
    internal Task AppendShadowAsync(IReadOnlyList<StoredShadowTurn> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return batch.Count == 0 ? Task.CompletedTask : WriteAsync(batch, static (writer, rows, ct) => writer.InsertShadow(rows, ct), cancellationToken);
    }

    /// <summary>Creates the <c>shadow_turns</c> table when the file lacks it, so readers find it before the first pair.</summary>
    internal Task EnsureShadowTableAsync(CancellationToken cancellationToken) =>
        WriteAsync(0, static (writer, _, _) => writer.EnsureShadowTable(), cancellationToken);

    // One write at a time on the one write connection. A file deleted under the store fails the batch that finds it
    // gone and is created anew by the next one.
    private async Task WriteAsync<TState>(TState state, Action<Writer, TState, CancellationToken> write, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            if (_writer is null)
            {
                // The file was deleted under an earlier append: start a new one.
                _writer = await Writer.OpenAsync(_writeConnectionString, Path, cancellationToken).ConfigureAwait(false);
            }
            else if (!File.Exists(Path))
            {
                // On Unix SQLite would go on writing into the unlinked file and every later batch would be lost
                // silently: fail this batch loudly and reopen on the next append.
                await _writer.DisposeAsync().ConfigureAwait(false);
                _writer = null;
                // A journal left beside a missing database would be replayed into the new file.
                foreach (var suffix in (string[])["-wal", "-shm"])
                {
                    if (!File.Exists(Path))
                    {
                        File.Delete(Path + suffix);
                    }
                }

                throw new IOException($"capture store '{Path}' was deleted; this batch is lost, the next one creates a new file");
            }

            write(_writer, state, cancellationToken);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<CapturedExchange> ReadAsync(long afterId, string? conversationKey, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = conversationKey is null
                ? $"SELECT {Columns} FROM exchanges WHERE id > $after ORDER BY id"
                : $"SELECT {Columns} FROM exchanges WHERE id > $after AND conversation_key = $key ORDER BY id";
            command.Parameters.AddWithValue("$after", afterId);
            if (conversationKey is not null)
            {
                command.Parameters.AddWithValue("$key", conversationKey);
            }

            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield return ReadExchange(reader);
                }
            }
        }
    }

    /// <inheritdoc />
    public async Task<CaptureStats> GetStatsAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT COUNT(*), COUNT(DISTINCT conversation_key), MIN(ts), MAX(ts),
                       COALESCE(SUM(request_truncated OR response_truncated), 0),
                       COALESCE(SUM(error IS NOT NULL OR status = 0), 0)
                FROM exchanges
                """;
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                return new CaptureStats(
                    reader.GetInt64(0),
                    reader.GetInt64(1),
                    reader.IsDBNull(2) ? null : ParseTimestamp(reader.GetString(2)),
                    reader.IsDBNull(3) ? null : ParseTimestamp(reader.GetString(3)),
                    reader.GetInt64(4),
                    reader.GetInt64(5));
            }
        }
    }

    /// <inheritdoc />
    public Task<Pruned> DeleteBeforeAsync(DateTimeOffset cutoff, IProgress<Pruned>? progress, CancellationToken cancellationToken) =>
        DeleteBeforeAsync(cutoff, RetentionSlices.Size, progress, cancellationToken);

    /// <summary>
    /// Retention in paced slices of <paramref name="slice"/> rows (<see cref="RetentionSlices"/>), each its own
    /// transaction under the write lock: the capture and shadow writers commit between two slices.
    /// </summary>
    internal async Task<Pruned> DeleteBeforeAsync(DateTimeOffset cutoff, int slice, IProgress<Pruned>? progress, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var connection = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var exchanges = await DeleteInSlicesAsync(
                connection,
                ["DELETE FROM exchanges WHERE id IN (SELECT id FROM exchanges WHERE ts < $cutoff ORDER BY ts, id LIMIT $slice)"],
                FormatTimestamp(cutoff),
                slice,
                n => progress?.Report(new Pruned(n, 0)),
                cancellationToken).ConfigureAwait(false);

            // The pairs (and the judgements of them). The writer's shadow schema makes sure the table and its ts index
            // exist (a file from a build before shadow pairs gets them empty), so every slice finds its rows by index;
            // their ts is "O" text in UTC. A slice deletes the judgements of the pairs it then deletes, in one
            // transaction, so a judgement never outlives its pair; the judge makes that table.
            await EnsureShadowTableAsync(cancellationToken).ConfigureAwait(false);
            const string Slice = "SELECT id FROM shadow_turns WHERE ts < $cutoff ORDER BY ts, id LIMIT $slice";
            string[] statements = await HasTableAsync(connection, "shadow_judgements", cancellationToken).ConfigureAwait(false)
                ? [$"DELETE FROM shadow_judgements WHERE pair_id IN ({Slice})", $"DELETE FROM shadow_turns WHERE id IN ({Slice})"]
                : [$"DELETE FROM shadow_turns WHERE id IN ({Slice})"];
            var pairs = await DeleteInSlicesAsync(
                connection,
                statements,
                cutoff.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture),
                slice,
                n => progress?.Report(new Pruned(exchanges, n)),
                cancellationToken).ConfigureAwait(false);
            return new Pruned(exchanges, pairs);
        }
    }

    // Runs the statements as one transaction per slice, under the write lock, paced (RetentionSlices); the last
    // statement's count is the slice's. deletedSoFar gets the running total after each slice.
    private Task<long> DeleteInSlicesAsync(SqliteConnection connection, string[] statements, string cutoff, int slice, Action<long> deletedSoFar, CancellationToken cancellationToken) =>
        RetentionSlices.DeleteAsync(
            async ct =>
            {
                await _writeGate.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
                    var transaction = connection.BeginTransaction();
                    await using (transaction.ConfigureAwait(false))
                    {
                        using var command = connection.CreateCommand();
                        command.Transaction = transaction;
                        command.Parameters.AddWithValue("$cutoff", cutoff);
                        command.Parameters.AddWithValue("$slice", slice);
                        var deleted = 0;
                        foreach (var statement in statements)
                        {
                            command.CommandText = statement;
                            deleted = await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                        }

                        await transaction.CommitAsync(ct).ConfigureAwait(false);
                        return deleted;
                    }
                }
                finally
                {
                    _writeGate.Release();
                }
            },
            slice,
            deletedSoFar,
            TimeProvider.System,
            cancellationToken);

    private static async Task<bool> HasTableAsync(SqliteConnection connection, string table, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $name";
        command.Parameters.AddWithValue("$name", table);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    /// <summary>Waits for a running append, then closes the write connection. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_writer is not null)
            {
                await _writer.DisposeAsync().ConfigureAwait(false);
                _writer = null;
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>A read connection of its own (WAL: reads run beside the writer); the caller disposes it.</summary>
    internal async Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_readConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, $"PRAGMA busy_timeout = {BusyTimeoutMs};", cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task CheckHeaderAsync(string fullPath, CancellationToken cancellationToken)
    {
        if (!File.Exists(fullPath))
        {
            return;
        }

        var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, useAsync: true);
        await using (stream.ConfigureAwait(false))
        {
            if (stream.Length == 0)
            {
                // An empty file is a valid, empty SQLite database.
                return;
            }

            var header = new byte[SqliteHeader.Length];
            var read = await stream.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
            if (read < header.Length || !header.AsSpan().SequenceEqual(SqliteHeader))
            {
                throw new InvalidDataException($"capture store '{fullPath}' is not a SQLite database");
            }
        }
    }

    private static async Task MigrateAsync(SqliteConnection connection, string fullPath, CancellationToken cancellationToken)
    {
        var version = Convert.ToInt64(await ScalarAsync(connection, "PRAGMA user_version;", cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        if (version == SchemaVersion)
        {
            return;
        }

        if (version > SchemaVersion)
        {
            throw new InvalidDataException($"capture store '{fullPath}' has schema version {version}; this build reads up to {SchemaVersion}");
        }

        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"""
            CREATE TABLE IF NOT EXISTS exchanges (
                id                 INTEGER PRIMARY KEY AUTOINCREMENT,
                ts                 TEXT    NOT NULL,
                method             TEXT    NOT NULL,
                path               TEXT    NOT NULL,
                query              TEXT    NOT NULL DEFAULT '',
                conversation_key   TEXT,
                request_headers    TEXT    NOT NULL DEFAULT '{"{}"}',
                request_body       TEXT,
                request_truncated  INTEGER NOT NULL DEFAULT 0,
                status             INTEGER NOT NULL,
                response_headers   TEXT    NOT NULL DEFAULT '{"{}"}',
                response_body      TEXT,
                response_truncated INTEGER NOT NULL DEFAULT 0,
                duration_ms        REAL    NOT NULL,
                error              TEXT
            );
            CREATE INDEX IF NOT EXISTS ix_exchanges_conversation_key ON exchanges (conversation_key, id);
            CREATE INDEX IF NOT EXISTS ix_exchanges_ts ON exchanges (ts);
            PRAGMA user_version = {SchemaVersion};
            """;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        transaction.Commit();
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    private static CapturedExchange ReadExchange(SqliteDataReader reader) => new()
    {
        Id = reader.GetInt64(0),
        Timestamp = ParseTimestamp(reader.GetString(1)),
        Method = reader.GetString(2),
        Path = reader.GetString(3),
        Query = reader.GetString(4),
        ConversationKey = reader.IsDBNull(5) ? null : reader.GetString(5),
        RequestHeaders = ReadHeaders(reader.GetString(6)),
        RequestBody = reader.IsDBNull(7) ? null : reader.GetString(7),
        RequestTruncated = reader.GetInt64(8) != 0,
        Status = reader.GetInt32(9),
        ResponseHeaders = ReadHeaders(reader.GetString(10)),
        ResponseBody = reader.IsDBNull(11) ? null : reader.GetString(11),
        ResponseTruncated = reader.GetInt64(12) != 0,
        DurationMs = reader.GetDouble(13),
        Error = reader.IsDBNull(14) ? null : reader.GetString(14),
    };

    // Fixed-width UTC text: sorts in time order, reads well in the sqlite3 shell and round-trips to the tick.
    private static string FormatTimestamp(DateTimeOffset value) => value.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTimestamp(string value) =>
        new(DateTime.SpecifyKind(DateTime.ParseExact(value, TimestampFormat, CultureInfo.InvariantCulture), DateTimeKind.Utc));

    // The headers as a JSON object of name → value, in UTF-8, into a buffer the caller reuses (bound to the insert as is).
    private static void WriteHeaders(IReadOnlyDictionary<string, string>? headers, ArrayBufferWriter<byte> buffer, Utf8JsonWriter json)
    {
        buffer.ResetWrittenCount();
        if (headers is null || headers.Count == 0)
        {
            buffer.Write("{}"u8);
            return;
        }

        json.Reset(buffer);
        json.WriteStartObject();
        foreach (var (name, value) in headers)
        {
            json.WriteString(name, value);
        }

        json.WriteEndObject();
        json.Flush();
    }

    /// <summary>Headers as stored (a JSON object of name → value), case-insensitive; shared by every capture store.</summary>
    internal static Dictionary<string, string> ReadHeaders(string json)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (json.Length <= 2)
        {
            return headers;
        }

        using var document = JsonDocument.Parse(json);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            headers[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
        }

        return headers;
    }
}
