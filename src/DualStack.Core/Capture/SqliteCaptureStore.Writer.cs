using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace DualStack.Core.Capture;

/// <summary>The SQLite capture store's write connection and its insert.</summary>
public sealed partial class SqliteCaptureStore
{
    /// <summary>
    /// The write connection with its prepared insert. The insert is a raw SQLite statement, prepared once and bound by
    /// position: text goes in as UTF-8 from a reused buffer and the header JSON as the bytes it was written as, so an
    /// append allocates nothing per row (Microsoft.Data.Sqlite binds by name and copies every string to a new UTF-8
    /// array: 5.4 KB allocated per captured exchange then, 2.3 KB now, `bench/DualStack.Benchmarks -- capture-cpu`).
    /// </summary>
    private sealed class Writer : IAsyncDisposable
    {
        private const string InsertSql = """
            INSERT INTO exchanges (ts, method, path, query, conversation_key, request_headers, request_body, request_truncated,
                                   status, response_headers, response_body, response_truncated, duration_ms, error)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
            """;

        private readonly SqliteConnection _connection;
        private readonly sqlite3_stmt _insert;
        private readonly ArrayBufferWriter<byte> _headers = new(512);
        private readonly Utf8JsonWriter _json;
        private byte[] _utf8 = new byte[4096];

        private Writer(SqliteConnection connection)
        {
            _connection = connection;
            Check(raw.sqlite3_prepare_v2(connection.Handle, InsertSql, out _insert));
            _json = new Utf8JsonWriter(_headers, WriterOptions);
        }

        public static async Task<Writer> OpenAsync(string connectionString, string fullPath, CancellationToken cancellationToken)
        {
            var connection = new SqliteConnection(connectionString);
            try
            {
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection, $"PRAGMA busy_timeout = {BusyTimeoutMs};", cancellationToken).ConfigureAwait(false);
                var journal = await ScalarAsync(connection, "PRAGMA journal_mode = WAL;", cancellationToken).ConfigureAwait(false);
                if (!string.Equals(Convert.ToString(journal, CultureInfo.InvariantCulture), "wal", StringComparison.OrdinalIgnoreCase))
                {
                    throw new IOException($"capture store '{fullPath}': could not switch to WAL mode (journal_mode is '{journal}')");
                }

                await ExecuteAsync(connection, "PRAGMA synchronous = NORMAL;", cancellationToken).ConfigureAwait(false);
                await MigrateAsync(connection, fullPath, cancellationToken).ConfigureAwait(false);
                return new Writer(connection);
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode is 26 or 11)
            {
                // SQLITE_NOTADB / SQLITE_CORRUPT
                await connection.DisposeAsync().ConfigureAwait(false);
                throw new InvalidDataException($"capture store '{fullPath}' is not a SQLite database or is corrupt: {ex.Message}", ex);
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        /// <summary>Inserts the batch in one transaction; rolls back and throws on any failure.</summary>
        public void Insert(IReadOnlyList<CapturedExchange> batch, CancellationToken cancellationToken)
        {
            using var transaction = _connection.BeginTransaction();
            Span<char> timestamp = stackalloc char[TimestampFormat.Length];
            foreach (var exchange in batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var stmt = _insert;
                try
                {
                    if (!exchange.Timestamp.UtcDateTime.TryFormat(timestamp, out var written, TimestampFormat, CultureInfo.InvariantCulture))
                    {
                        throw new FormatException($"timestamp {exchange.Timestamp:O} does not fit the stored format");
                    }

                    BindText(stmt, 1, timestamp[..written]);
                    BindText(stmt, 2, exchange.Method);
                    BindText(stmt, 3, exchange.Path);
                    BindText(stmt, 4, exchange.Query ?? string.Empty);
                    BindText(stmt, 5, exchange.ConversationKey);
                    WriteHeaders(exchange.RequestHeaders, _headers, _json);
                    Check(raw.sqlite3_bind_text(stmt, 6, _headers.WrittenSpan));
                    BindText(stmt, 7, exchange.RequestBody);
                    Check(raw.sqlite3_bind_int(stmt, 8, exchange.RequestTruncated ? 1 : 0));
                    Check(raw.sqlite3_bind_int(stmt, 9, exchange.Status));
                    WriteHeaders(exchange.ResponseHeaders, _headers, _json);
                    Check(raw.sqlite3_bind_text(stmt, 10, _headers.WrittenSpan));
                    BindText(stmt, 11, exchange.ResponseBody);
                    Check(raw.sqlite3_bind_int(stmt, 12, exchange.ResponseTruncated ? 1 : 0));
                    Check(raw.sqlite3_bind_double(stmt, 13, exchange.DurationMs));
                    BindText(stmt, 14, exchange.Error);
                    var rc = raw.sqlite3_step(stmt);
                    if (rc != raw.SQLITE_DONE)
                    {
                        Check(rc);
                    }
                }
                finally
                {
                    // Ready for the next row, and no row's text stays bound (SQLite copied it: SQLITE_TRANSIENT).
                    raw.sqlite3_reset(stmt);
                    raw.sqlite3_clear_bindings(stmt);
                }
            }

            transaction.Commit();
        }

        // Text goes in as UTF-8 from one reused buffer (SQLite copies it at bind time): the vectorised encoder is several
        // times faster than SQLite's own UTF-16 translation. An empty string is stored as '' (an empty span binds NULL).
        private void BindText(sqlite3_stmt stmt, int index, ReadOnlySpan<char> value, bool isNull = false)
        {
            if (isNull)
            {
                Check(raw.sqlite3_bind_null(stmt, index));
                return;
            }

            if (value.IsEmpty)
            {
                Check(raw.sqlite3_bind_text(stmt, index, string.Empty));
                return;
            }

            var most = Encoding.UTF8.GetMaxByteCount(value.Length);
            if (_utf8.Length < most)
            {
                _utf8 = new byte[Math.Max(most, _utf8.Length * 2)];
            }

            var length = Encoding.UTF8.GetBytes(value, _utf8);
            Check(raw.sqlite3_bind_text(stmt, index, _utf8.AsSpan(0, length)));
        }

        private void BindText(sqlite3_stmt stmt, int index, string? value) => BindText(stmt, index, value, value is null);

        private void Check(int rc)
        {
            if (rc != raw.SQLITE_OK)
            {
                SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
            }
        }

        public async ValueTask DisposeAsync()
        {
            _insert.Dispose();
            await _json.DisposeAsync().ConfigureAwait(false);
            await _connection.DisposeAsync().ConfigureAwait(false);
        }
    }
}
